package livechat

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// NormalizeColor accepts a CSS colour as #RGB, #RRGGBB, rgb(r, g, b) or
// hsl(h, s%, l%) and returns it as upper-case #RRGGBB, the one form stored.
func NormalizeColor(s string) (string, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("%q is not a colour; use #RRGGBB, rgb(r, g, b) or hsl(h, s%%, l%%)", s)
	switch {
	case strings.HasPrefix(in, "#"):
		h := in[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if len(h) != 6 {
			return "", bad
		}
		if _, err := strconv.ParseUint(h, 16, 32); err != nil {
			return "", bad
		}
		return "#" + strings.ToUpper(h), nil
	case strings.HasPrefix(in, "rgb(") && strings.HasSuffix(in, ")"):
		parts := splitArgs(in[4 : len(in)-1])
		if len(parts) != 3 {
			return "", bad
		}
		var rgb [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 255 {
				return "", bad
			}
			rgb[i] = n
		}
		return fmt.Sprintf("#%02X%02X%02X", rgb[0], rgb[1], rgb[2]), nil
	case strings.HasPrefix(in, "hsl(") && strings.HasSuffix(in, ")"):
		parts := splitArgs(in[4 : len(in)-1])
		if len(parts) != 3 {
			return "", bad
		}
		h, err1 := strconv.ParseFloat(strings.TrimSuffix(parts[0], "deg"), 64)
		sat, err2 := strconv.ParseFloat(strings.TrimSuffix(parts[1], "%"), 64)
		l, err3 := strconv.ParseFloat(strings.TrimSuffix(parts[2], "%"), 64)
		if err1 != nil || err2 != nil || err3 != nil || math.IsNaN(h) || math.IsInf(h, 0) ||
			!(sat >= 0 && sat <= 100) || !(l >= 0 && l <= 100) {
			return "", bad
		}
		r, g, b := hslToRGB(math.Mod(math.Mod(h, 360)+360, 360), sat/100, l/100)
		return fmt.Sprintf("#%02X%02X%02X", r, g, b), nil
	}
	return "", bad
}

func splitArgs(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	return f
}

func hslToRGB(h, s, l float64) (int, int, int) {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	conv := func(v float64) int { return int(math.Round((v + m) * 255)) }
	return conv(r), conv(g), conv(b)
}
