package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Imports started in the same second get rejects files of their own: the
// default name is of the second, and a later import must not truncate an
// earlier one's file (both summaries name where their rejects are).
func TestDefaultRejectsFileIsNeverOverwritten(t *testing.T) {
	dir, rejectsDir := t.TempDir(), t.TempDir()
	second := time.Date(2026, 12, 4, 22, 0, 17, 0, time.UTC)
	now := func() time.Time { return second }
	var files []string
	for i, id := range []string{"P1", "P2", "P3"} {
		p := writeFile(t, dir, "payments.csv", "payment_id,customer_id,payment_date,amount\n"+id+",C1,2024-01-01,bad"+id+"\nOK"+id+",C1,2024-01-01,1\nOK2"+id+",C1,2024-01-01,2\n")
		sum, err := Import(context.Background(), openStore(t), []string{p}, Options{RejectsDir: rejectsDir, Now: now})
		if err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
		if sum.Rejected != 1 || filepath.Dir(sum.RejectsFile) != rejectsDir {
			t.Fatalf("import %d: %d rejected, rejects file %q; want 1 in %s", i+1, sum.Rejected, sum.RejectsFile, rejectsDir)
		}
		files = append(files, sum.RejectsFile)
	}
	for i, f := range files {
		for _, g := range files[:i] {
			if f == g {
				t.Fatalf("two imports of the same second name the same rejects file %s", f)
			}
		}
		body, err := os.ReadFile(f)
		want := "payments.csv,2,amount,bad" + []string{"P1", "P2", "P3"}[i] + ","
		if err != nil || !strings.Contains(string(body), want) || strings.Count(string(body), "\n") != 2 {
			t.Fatalf("rejects file %d (%s) holds %q, %v; want its header and its own reject", i+1, f, body, err)
		}
	}
	if got, _ := filepath.Glob(filepath.Join(rejectsDir, "*")); len(got) != 3 {
		t.Fatalf("rejects dir holds %v, want 3 files", got)
	}
}
