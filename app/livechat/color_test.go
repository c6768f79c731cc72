package livechat

import "testing"

func TestNormalizeColor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#875a7b", "#875A7B"},
		{" #FFF ", "#FFFFFF"},
		{"rgb(135, 90, 123)", "#875A7B"},
		{"RGB(0,0,0)", "#000000"},
		{"hsl(0, 100%, 50%)", "#FF0000"},
		{"hsl(120deg 100% 25%)", "#008000"},
		{"hsl(-120, 100%, 50%)", "#0000FF"},
		{"#12345", ""},
		{"#GGGGGG", ""},
		{"rgb(256,0,0)", ""},
		{"rgb(1,2)", ""},
		{"hsl(0, 120%, 50%)", ""},
		{"purple", ""},
		{"hsl(nan, 50%, 50%)", ""},
		{"hsl(inf, 50%, 50%)", ""},
		{"hsl(-inf, 50%, 50%)", ""},
		{"hsl(0, nan%, 50%)", ""},
		{"hsl(0, 50%, nan%)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeColor(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf(`NormalizeColor(%q) = %q, want an error`, tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf(`NormalizeColor(%q) = %q, %v; want %q`, tt.in, got, err, tt.want)
		}
	}
}
