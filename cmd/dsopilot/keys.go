package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/api"
)

func runKeys(_ context.Context, e env, args []string) error {
	const usage = "Usage: dsopilot keys create --name NAME --role ROLE [--keys FILE] | dsopilot keys list [--keys FILE] | dsopilot keys revoke ID [--keys FILE]"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, usage)
		return errHelp
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprintln(e.stderr, usage)
		return fmt.Errorf("%w: keys: want create, list or revoke", errUsage)
	}
	synopsis := map[string]string{
		"create": "--name NAME --role viewer|collector|credit_manager|admin [--keys FILE]",
		"list":   "[--keys FILE]",
		"revoke": "ID [--keys FILE]",
	}[args[0]]
	fs := newFlags(e, "keys "+args[0], synopsis,
		"create makes an API key for dsopilot serve and prints it once, alone on the last line (the keys file keeps only\n"+
			"its SHA-256); list shows the keys' ids, names, roles and when each was revoked; revoke ID withdraws a key by\n"+
			"its id (keys list), an unambiguous start of it, or its visible part dso_<id>: no secret is needed. A running\n"+
			"server rereads the keys file every --poll (2 s by default): a new key works, and a revoked one is refused\n"+
			"with 401 saying it was revoked, within that time.")
	path := fs.String("keys", envDefault(e, "DSOPILOT_KEYS", "./keys.json"), "keys file (env DSOPILOT_KEYS)")
	var name, role *string
	if args[0] == "create" {
		name = fs.String("name", "", "who or what uses the key (shown in logs and as the approver)")
		role = fs.String("role", "", "viewer, collector, credit_manager or admin")
	}
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if args[0] != "revoke" && len(rest) > 0 {
		return fmt.Errorf("%w: keys %s takes no arguments, got %q", errUsage, args[0], rest)
	}
	switch args[0] {
	case "list":
		return listKeys(e, *path)
	case "revoke":
		if len(rest) != 1 {
			return fmt.Errorf("%w: keys revoke: give one key id (dsopilot keys list shows them)", errUsage)
		}
		k, already, err := api.RevokeKey(*path, rest[0], time.Now())
		if err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		if already {
			fmt.Fprintf(e.stdout, "key %s of %q (%s) was already revoked at %s\n", k.ID, k.Name, k.Role, k.Revoked.Format(time.RFC3339))
			return nil
		}
		fmt.Fprintf(e.stdout, "revoked key %s of %q (%s) in %s at %s; a running server refuses it within its --poll (2 s by default)\n",
			k.ID, k.Name, k.Role, *path, k.Revoked.Format(time.RFC3339))
		return nil
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

func listKeys(e env, path string) error {
	k, err := api.ListKeys(path)
	if err != nil {
		return fmt.Errorf("keys list: %w", err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\trole\tcreated\trevoked")
	for _, x := range k {
		revoked := "-"
		if x.Revoked != nil {
			revoked = x.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.ID, x.Name, x.Role, x.Created.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}
