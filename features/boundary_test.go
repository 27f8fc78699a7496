package features

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoClickHouseDriver holds the boundary of package chsql: the feature
// engines and the models run SQL through a chsql.Querier that the store
// owns, so neither package links the ClickHouse driver (nor its protocol
// library). It asks the go command for the packages' dependencies, as
// `go list -deps ./features ./model | grep clickhouse` would.
func TestNoClickHouseDriver(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goCmd, "list", "-deps",
		"github.com/dsopilot/dsopilot/features", "github.com/dsopilot/dsopilot/model").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages, want the standard library and more: %q", len(deps), out)
	}
	for _, p := range deps {
		if strings.Contains(strings.ToLower(p), "clickhouse") {
			t.Errorf("features or model depends on %s: run SQL through chsql.Querier instead", p)
		}
	}
}
