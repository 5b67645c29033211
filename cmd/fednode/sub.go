package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// subcommand is one sub-command of a command with several (budget set|show).
type subcommand struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// dispatch runs the sub-command args[0] of command name, or prints the
// sub-commands for --help (exit 0) or a missing or unknown one (exit 2).
func dispatch(ctx context.Context, e *env, name, about string, subs map[string]subcommand, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(e.stderr, "Usage: fednode %s %s [flags]\n\n%s\n", name, strings.Join(names, "|"), about)
		for _, n := range names {
			fmt.Fprintf(e.stderr, "  %-7s %s\n", n, subs[n].summary)
		}
		if len(args) == 0 {
			return usagef("missing sub-command")
		}
		return nil
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown %s sub-command %q", name, args[0])
	}
	return sub.run(ctx, e, args[1:])
}
