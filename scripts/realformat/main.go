// Command realformat writes the small real-format test ledgers of package
// datasets/realformat, one directory per variant, and prints for each the
// dsopilot backtest and reference commands that read it:
//
//	go run ./scripts/realformat -out /tmp/realformat
//	go run ./scripts/realformat -out /tmp/rf -variant ar-us -seed 7   # another draw of one variant
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dsopilot/dsopilot/datasets/realformat"
)

func main() {
	out := flag.String("out", "", "directory to write the exports into (required)")
	only := flag.String("variant", "", "write only this variant")
	seed := flag.Uint64("seed", 0, "replace the variant's seed (0: keep)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "realformat: -out is required")
		os.Exit(2)
	}
	n := 0
	for _, v := range realformat.Variants() {
		if *only != "" && v.Name != *only {
			continue
		}
		if *seed != 0 {
			v.Seed = *seed
		}
		n++
		e, err := v.Write(context.Background(), filepath.Join(*out, v.Name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "realformat:", err)
			os.Exit(1)
		}
		flags := fmt.Sprintf("--columns '%s' --date-format '%s'", e.ColumnsFlag(), e.DateFormat)
		if e.DecimalComma {
			flags += " --decimal-comma"
		}
		fmt.Printf("%s\t%d invoices\t%d customers\t%d with fewer than 3 invoices\t%s\t%s\n",
			v.Name, e.Invoices, e.Customers, e.ColdStart, e.Path, strings.TrimSpace(flags))
	}
	if n == 0 {
		fmt.Fprintf(os.Stderr, "realformat: no variant %q\n", *only)
		os.Exit(2)
	}
}
