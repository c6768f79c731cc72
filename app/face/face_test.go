package face

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"parley/app/model"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A tall picture is cropped to its centre square: the red band in the
// middle fills the face, the blue ends are cut; transparency turns white.
func TestMakeCropsCentreAndFlattens(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 100, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 100; x++ {
			c := color.NRGBA{0, 0, 255, 255}
			if y >= 100 && y < 200 {
				c = color.NRGBA{255, 0, 0, 255}
			}
			if x < 10 && y >= 100 && y < 200 {
				c = color.NRGBA{0, 0, 0, 0} // transparent strip
			}
			src.Set(x, y, c)
		}
	}
	img, err := Make(encodePNG(t, src), 1<<20, "photo")
	if err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(bytes.NewReader(img.Data))
	if err != nil || out.Bounds().Dx() != Size || out.Bounds().Dy() != Size {
		t.Fatalf(`decoded %v, %v`, out, err)
	}
	r, g, b, _ := out.At(Size/2, Size/2).RGBA()
	if r>>8 < 200 || g>>8 > 60 || b>>8 > 60 {
		t.Errorf(`centre = %d,%d,%d, want red`, r>>8, g>>8, b>>8)
	}
	r, g, b, _ = out.At(2, Size/2).RGBA()
	if r>>8 < 200 || g>>8 < 200 || b>>8 < 200 {
		t.Errorf(`transparent edge = %d,%d,%d, want white`, r>>8, g>>8, b>>8)
	}
	again, _ := Make(encodePNG(t, src), 1<<20, "photo")
	if again.Hash != img.Hash || len(img.Hash) != 16 {
		t.Errorf(`hash %q then %q, want the same 16 hex digits`, img.Hash, again.Hash)
	}
}

func TestMakeRefuses(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, MaxSide+1, 1))
	for _, c := range []struct {
		what string
		raw  []byte
		max  int64
	}{
		{"empty", nil, 1 << 20},
		{"text", []byte("hello"), 1 << 20},
		{"too wide", encodePNG(t, big), 1 << 20},
		{"too many bytes", encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64))), 10},
	} {
		_, err := Make(c.raw, c.max, "photo")
		var fe *model.FieldError
		if !errors.As(err, &fe) || fe.Field != "photo" {
			t.Errorf(`%s: %v, want a field error on photo`, c.what, err)
		}
	}
}
