// Package face turns an uploaded picture into the small square image that
// represents an operator or a channel: it refuses what is not a PNG, JPEG
// or GIF, what is too large in bytes or in pixels (a decompression bomb is
// caught from its header, before any pixel is decoded), crops the centre
// square and scales it down with the standard library alone.
package face

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for image.Decode
	"image/jpeg"
	_ "image/png" // registered for image.Decode

	"parley/app/model"
)

// Size is the side of a stored face, in pixels: twice the largest shown,
// for sharp pictures on high-density screens.
const Size = 256

// MaxSide bounds a picture's width and height before it is decoded: a few
// bytes of PNG may claim a billion pixels.
const MaxSide = 8000

// Image is a processed face.
type Image struct {
	Data []byte // JPEG
	Hash string // of Data, for URLs that can be cached for ever
}

// ContentType is what every processed face is.
const ContentType = "image/jpeg"

// Make checks and processes an upload of at most maxBytes; its errors are
// *model.FieldError on field, for the form to show.
func Make(raw []byte, maxBytes int64, field string) (*Image, error) {
	switch {
	case len(raw) == 0:
		return nil, &model.FieldError{Field: field, Message: "Choose a picture to upload."}
	case int64(len(raw)) > maxBytes:
		return nil, &model.FieldError{Field: field, Message: "The picture is too large: at most %d KB.", Args: []any{maxBytes >> 10}}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, &model.FieldError{Field: field, Message: "The picture must be a PNG, JPEG or GIF image."}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, &model.FieldError{Field: field, Message: "The picture is too large: at most %d × %d pixels.", Args: []any{MaxSide, MaxSide}}
	}
	src, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, &model.FieldError{Field: field, Message: "The picture could not be read (%s data is damaged).", Args: []any{format}}
	}
	out := squareDown(src, Size)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 88}); err != nil {
		return nil, fmt.Errorf("face: encode: %w", err)
	}
	return &Image{Data: buf.Bytes(), Hash: HashOf(buf.Bytes())}, nil
}

// squareDown crops the centre square of src and scales it to side×side by
// averaging the source pixels each target pixel covers (transparent parts
// over white), which keeps thin lines and faces smooth without ringing.
// A smaller source is scaled up by the same mapping (nearest pixel).
func squareDown(src image.Image, side int) *image.RGBA {
	b := src.Bounds()
	n := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-n)/2, b.Min.Y+(b.Dy()-n)/2
	dst := image.NewRGBA(image.Rect(0, 0, side, side))
	for ty := 0; ty < side; ty++ {
		sy0, sy1 := y0+ty*n/side, y0+(ty+1)*n/side
		if sy1 <= sy0 {
			sy1 = sy0 + 1
		}
		for tx := 0; tx < side; tx++ {
			sx0, sx1 := x0+tx*n/side, x0+(tx+1)*n/side
			if sx1 <= sx0 {
				sx1 = sx0 + 1
			}
			var r, g, bl, count uint64
			for sy := sy0; sy < sy1; sy++ {
				for sx := sx0; sx < sx1; sx++ {
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					// Over white: premultiplied colour plus the white behind.
					r += uint64(cr + 0xffff - ca)
					g += uint64(cg + 0xffff - ca)
					bl += uint64(cb + 0xffff - ca)
					count++
				}
			}
			dst.SetRGBA(tx, ty, color.RGBA{uint8(r / count >> 8), uint8(g / count >> 8), uint8(bl / count >> 8), 0xff})
		}
	}
	return dst
}
