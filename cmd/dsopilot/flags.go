package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags makes a flag set whose --help prints the command's synopsis, its
// description and every flag.
func newFlags(e env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: dsopilot %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// storeFlag adds --store, defaulting to DSOPILOT_STORE and then ./data.
func storeFlag(fs *flag.FlagSet, e env) *string {
	def := e.getenv("DSOPILOT_STORE")
	if def == "" {
		def = "./data"
	}
	return fs.String("store", def, "clickhouse://host:port/database, or the embedded store's directory (env DSOPILOT_STORE)")
}

// parse parses args, allowing flags after positional arguments
// (dsopilot import data/ --json), and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				// The flag package has already called fs.Usage.
				return nil, errHelp
			}
			return nil, fmt.Errorf("%w: %s: %v (see dsopilot %s --help)", errUsage, fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// columnsFlag parses --columns canonical=source,canonical=source.
type columnsFlag map[string]string

func (c columnsFlag) String() string {
	var parts []string
	for k, v := range c {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (c columnsFlag) Set(s string) error {
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("want canonical=source, got %q", pair)
		}
		c[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
