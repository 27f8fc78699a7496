package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dsopilot/dsopilot/datasets/importer"
)

// newFlags makes a flag set whose --help prints the command's synopsis, its
// description and every flag. A mistyped flag prints nothing: its one-line
// error says what is wrong, and stdout stays clean for --json readers.
func newFlags(e env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	help := &helpOutput{w: e.stdout}
	fs.SetOutput(help)
	fs.Usage = func() {
		fmt.Fprintf(help, "Usage: dsopilot %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// helpOutput holds what the flag package writes, its usage text and its
// own error lines, until parse knows whether help was asked for.
type helpOutput struct {
	bytes.Buffer
	w io.Writer
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
// parseFlags parses a command that takes flags only: an argument that is
// not a flag (a mistyped flag without its dashes, a value whose flag was
// forgotten) is a usage error, not ignored.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q: this command takes flags only (see dsopilot %s --help)", errUsage, fs.Name(), pos[0], fs.Name())
	}
	return nil
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if h, ok := fs.Output().(*helpOutput); ok {
			// The flag package has called fs.Usage on --help and on an
			// error alike: only help asked for is printed.
			if errors.Is(err, flag.ErrHelp) {
				h.w.Write(h.Bytes())
			}
			h.Reset()
		}
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
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

// Set adds the pairs of s; a key given twice with two headers, in one
// flag or two, is an error naming both (importer.ParseColumns).
func (c columnsFlag) Set(s string) error {
	if err := importer.ParseColumns(c, s); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), importer.ErrUsage.Error()+": "))
	}
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
