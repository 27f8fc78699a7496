package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/api"
)

func runKeys(_ context.Context, e env, args []string) error {
	const usage = "Usage: dsopilot keys create --name NAME --role ROLE [--keys FILE] | dsopilot keys list [--keys FILE]"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, usage)
		return errHelp
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		fmt.Fprintln(e.stderr, usage)
		return fmt.Errorf("%w: keys: want create or list", errUsage)
	}
	fs := newFlags(e, "keys "+args[0], "--name NAME --role viewer|collector|credit_manager|admin [--keys FILE]",
		"Creates an API key for dsopilot serve and prints it once, alone on the last line (the keys file keeps only\n"+
			"its SHA-256), or lists the keys' names and roles. A running server picks new keys up within seconds.")
	path := fs.String("keys", envDefault(e, "DSOPILOT_KEYS", "./keys.json"), "keys file (env DSOPILOT_KEYS)")
	name := fs.String("name", "", "who or what uses the key (shown in logs and as the approver)")
	role := fs.String("role", "", "viewer, collector, credit_manager or admin")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if args[0] == "list" {
		k, err := api.ListKeys(*path)
		if err != nil {
			return fmt.Errorf("keys list: %w", err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "id\tname\trole\tcreated")
		for _, x := range k {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.ID, x.Name, x.Role, x.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	r, err := api.ParseRole(*role)
	if err != nil || *name == "" {
		return fmt.Errorf("%w: keys create: --name and --role (viewer, collector, credit_manager, admin) are required", errUsage)
	}
	token, k, err := api.CreateKey(*path, *name, r, time.Now())
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	fmt.Fprintf(e.stdout, "created key %s for %q with role %s in %s; it is shown once, below:\n", k.ID, k.Name, k.Role, *path)
	fmt.Fprintln(e.stdout, token)
	return nil
}
