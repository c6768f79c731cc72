// Package version reports the build's version, set at link time with
// -ldflags "-X parley/app/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version; "dev" for builds without -ldflags.
var Version = "dev"

// String returns the version, falling back to the VCS revision that the Go
// toolchain stamps into builds made from a checkout.
func String() string {
	if Version != "dev" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
