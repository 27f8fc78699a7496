package chsql

import (
	"context"
	"reflect"
	"testing"
)

func TestWithSettings(t *testing.T) {
	ctx := context.Background()
	if got := SettingsOf(ctx); got != nil {
		t.Fatalf("settings of a bare context = %v, want nil", got)
	}
	a := WithSettings(ctx, Settings{"x": 1, "y": 2})
	b := WithSettings(a, Settings{"y": 3, "z": 4})
	if got, want := SettingsOf(b), (Settings{"x": 1, "y": 3, "z": 4}); !reflect.DeepEqual(got, want) {
		t.Errorf("merged settings = %v, want %v", got, want)
	}
	if got, want := SettingsOf(a), (Settings{"x": 1, "y": 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("the outer context's settings changed to %v, want %v", got, want)
	}
}
