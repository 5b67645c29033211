// Command fednode runs a privacy-preserving federated analytics node: an
// organisation's customer data stays on its premises, pseudonymised and
// encrypted at rest, and only differentially private aggregates leave it.
//
// Run `fednode help` for the commands. Exit codes: 0 success, 1 failure,
// 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}

// env is everything a command may touch outside its arguments, so that
// commands run in tests without a process of their own.
type env struct {
	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	log    *slog.Logger
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"init":     {"create a node directory: identity, wrapped master key, encrypted store", cmdInit},
		"ingest":   {"ingest a CSV file (or .csv.gz) into a dataset with a schema", cmdIngest},
		"datasets": {"list the node's datasets", cmdDatasets},
		"status":   {"show the node's identity, store size and datasets", cmdStatus},
		"demo":     {"create a consortium of nodes with generated data and show what each holds", cmdDemo},
		"bench":    {"measure headline figures (bench ingest)", cmdBench},
		"budget":   {"set and show the privacy budget of each dataset", cmdBudget},
		"audit":    {"verify, show and export the signed, hash-chained audit log", cmdAudit},
		"query":    {"release a differentially private statistic of this node's data", cmdQuery},
		"serve":    {"run the node in its consortium (libp2p mesh, federated jobs)", cmdServe},
		"job":      {"run a federated job from the serving node", cmdJob},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	global := flag.NewFlagSet("fednode", flag.ContinueOnError)
	global.SetOutput(e.stderr)
	logLevel := global.String("log-level", "warn", "log level: debug, info, warn, error")
	global.Usage = func() { printUsage(e.stderr) }
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(e.stderr, "fednode: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return exitUsage
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
	}
	rest := global.Args()
	if len(rest) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" || name == "-h" || name == "--help" {
		if len(rest) > 0 {
			if c, ok := commands()[rest[0]]; ok {
				return exitCode(e, rest[0], c.run(ctx, e, []string{"--help"}))
			}
		}
		printUsage(e.stdout)
		return exitOK
	}
	c, ok := commands()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "fednode: unknown command %q (run fednode help)\n", name)
		return exitUsage
	}
	return exitCode(e, name, c.run(ctx, e, rest))
}

func exitCode(e *env, name string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "fednode %s: %v (see fednode %s --help)\n", name, err, name)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "fednode %s: %v\n", name, err)
		return exitFailure
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "fednode: privacy-preserving federated analytics node\n\nUsage: fednode [--log-level LEVEL] <command> [flags]\n\nCommands:")
	cs := commands()
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cs[n].summary)
	}
	fmt.Fprintln(w, "\nRun fednode <command> --help for a command's flags.\nThe passphrase comes from FEDNODE_PASSPHRASE, --passphrase-file, or a prompt on a terminal.")
}

// newFlags returns a flag set for a subcommand whose usage lists its flags.
func newFlags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("fednode "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: fednode %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing positional arguments between flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses args for a command that takes flags only.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}
