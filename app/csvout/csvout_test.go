package csvout_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"parley/app/csvout"
)

func TestCellEscapesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1+1":                     "'+1+1",
		"-2+3":                     "'-2+3",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\t=1":                     "'\t=1",
		"\r=1":                     "'\r=1",
		"Ada = admin":              "Ada = admin",
		"12":                       "12",
		"":                         "",
		"'quoted":                  "'quoted",
	} {
		if got := csvout.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteReadsBack(t *testing.T) {
	var b bytes.Buffer
	rows := [][]string{{"Operator", "Sessions"}, {"=cmd|' /C calc'!A0", "3"}, {"Zoë, \"the\" boss\nline two", "4"}}
	if err := csvout.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\ufeffOperator,Sessions\r\n") {
		t.Fatalf("header: %q", out)
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got[1][0] != "'=cmd|' /C calc'!A0" || got[2][0] != "Zoë, \"the\" boss\nline two" || got[2][1] != "4" {
		t.Fatalf("read back: %q", got)
	}
}
