package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"
)

// passphraseEnv names the environment variable holding the passphrase.
const passphraseEnv = "FEDNODE_PASSPHRASE"

// passphrase returns the operator's passphrase: from --passphrase-file, else
// FEDNODE_PASSPHRASE, else a prompt when stdin is a terminal. confirm asks
// twice (for init).
func passphrase(e *env, file string, confirm bool) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) == 0 {
			return nil, errors.New("passphrase file is empty")
		}
		return b, nil
	}
	if p := e.getenv(passphraseEnv); p != "" {
		return []byte(p), nil
	}
	if e.stdin == nil || !term.IsTerminal(int(e.stdin.Fd())) {
		return nil, fmt.Errorf("no passphrase: set %s, pass --passphrase-file, or run on a terminal", passphraseEnv)
	}
	fmt.Fprint(e.stderr, "Passphrase: ")
	p, err := term.ReadPassword(int(e.stdin.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if confirm {
		fmt.Fprint(e.stderr, "Repeat passphrase: ")
		q, err := term.ReadPassword(int(e.stdin.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if !bytes.Equal(p, q) {
			return nil, errors.New("passphrases differ")
		}
	}
	return p, nil
}
