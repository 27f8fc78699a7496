package embedded

import "testing"

func TestIsServeTellsAServerHoldingTheLock(t *testing.T) {
	for _, tc := range []struct {
		holder string
		want   bool
	}{
		{"pid 4157: /tmp/trial36/dsopilot serve --store s1 --addr 127.0.0.1:8080", true},
		{"pid 9: dsopilot serve", true},
		{"pid 9: dsopilot import --store s1 serve", false}, // a path named serve
		{"pid 9: /usr/bin/dsopilot-import serve.csv", false},
		{"pid 9: /usr/bin/other serve", false},
		{"", false},
	} {
		if got := isServe(tc.holder); got != tc.want {
			t.Errorf("isServe(%q) = %v, want %v", tc.holder, got, tc.want)
		}
	}
}
