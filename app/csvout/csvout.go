// Package csvout writes the reports' exports as CSV that a spreadsheet
// opens safely: a cell that would start a formula (=, +, -, @, or a tab or
// carriage return that some spreadsheets skip before one) gets a leading
// apostrophe, so it reads as the text it is and never runs.
package csvout

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Cell is s as it is safe to put in an exported cell.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Write writes rows (the first is the header) to w, every cell made safe,
// behind a UTF-8 byte order mark so spreadsheets read accents right.
func Write(w io.Writer, rows [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	line := make([]string, 0, 16)
	for _, r := range rows {
		line = line[:0]
		for _, c := range r {
			line = append(line, Cell(c))
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}
