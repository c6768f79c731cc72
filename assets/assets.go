// Package assets embeds Parley's templates, static files and the chat
// widget so the binary needs nothing beside it.
package assets

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed all:templates static widget
var embedded embed.FS

// FS returns the assets tree: the embedded copy, or with dev the files on
// disk under dir (the assets/ folder of a checkout) so edits show on reload.
func FS(dev bool, dir string) fs.FS {
	if dev {
		return os.DirFS(dir)
	}
	return embedded
}
