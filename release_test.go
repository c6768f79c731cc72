package main

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// build is what a build command line decides about the binary.
type build struct {
	cgo      string // CGO_ENABLED
	trimpath bool
	ldflags  string // with the version variable written $VERSION
}

var (
	ldflagsRE = regexp.MustCompile(`-ldflags\s+"([^"]*)"`)
	versionRE = regexp.MustCompile(`\$\{?(?i:version)\}?`)
	cgoRE     = regexp.MustCompile(`\bCGO_ENABLED=(\S+)`)
)

// goBuild finds the one "go build" command in a shell text (a Dockerfile
// RUN or a script), its continuation lines joined.
func goBuild(t *testing.T, name, text string) build {
	t.Helper()
	text = strings.ReplaceAll(text, "\\\n", " ")
	var found []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, "go build") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d go build commands, want one: %q", name, len(found), found)
	}
	line := found[0]
	b := build{trimpath: strings.Contains(line, " -trimpath")}
	if m := cgoRE.FindStringSubmatch(line); m != nil {
		b.cgo = m[1]
	}
	if m := ldflagsRE.FindStringSubmatch(line); m != nil {
		b.ldflags = versionRE.ReplaceAllString(m[1], "$$VERSION")
	}
	return b
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDockerfileMatchesReleaseBuild: the image's binary is built like the
// release binaries (static, trimmed paths, stripped, the version stamped
// into a variable that exists), by the Go release go.mod names, and the
// build context leaves out what must not reach an image.
func TestDockerfileMatchesReleaseBuild(t *testing.T) {
	dockerfile, release := readFile(t, "Dockerfile"), readFile(t, ".ci/release")

	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	goVersion := m[1]
	img := regexp.MustCompile(`(?m)^FROM golang:([0-9][^\s-]*)\S*\s+AS build`).FindStringSubmatch(dockerfile)
	if img == nil {
		t.Fatal("Dockerfile: no FROM golang:<version> AS build")
	}
	if img[1] != goVersion {
		t.Errorf("Dockerfile builds with golang:%s, go.mod says go %s: pin the image to the go line", img[1], goVersion)
	}

	d, r := goBuild(t, "Dockerfile", dockerfile), goBuild(t, ".ci/release", release)
	want := build{cgo: "0", trimpath: true, ldflags: "-s -w -X parley/app/version.Version=$VERSION"}
	if d != want {
		t.Errorf("Dockerfile builds with %+v, want %+v", d, want)
	}
	if r != want {
		t.Errorf(".ci/release builds with %+v, want %+v", r, want)
	}

	// -X names a variable silently: a renamed one would stamp nothing.
	f, err := parser.ParseFile(token.NewFileSet(), "app/version/version.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if obj := f.Scope.Lookup("Version"); obj == nil || obj.Kind != ast.Var {
		t.Error("app/version has no Version variable for -X parley/app/version.Version")
	}

	// The build context: no databases, local configuration, binaries,
	// release output or test output.
	ignored := strings.Fields(readFile(t, ".dockerignore"))
	out := regexp.MustCompile(`(?m)^out=(\S+)$`).FindStringSubmatch(release)
	if out == nil {
		t.Fatal(".ci/release: no out= directory")
	}
	for _, p := range []string{"data/", "*.db", "parley.yaml", "/parley", "*.test", out[1] + "/", ".git"} {
		if !slices.Contains(ignored, p) {
			t.Errorf(".dockerignore lacks %s", p)
		}
	}
}
