package agent

// Internal tests: hostile archives are checked against extractBuild itself so that the
// invariant ("nothing outside the build, nothing half-staged") is tested where it lives.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type member struct {
	name, body, link string
	typ              byte
}

func tarOf(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Linkname: m.link, Typeflag: m.typ, Mode: 0o755}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func zipOf(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("payload"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHostileArchivesAreRefused(t *testing.T) {
	valid := gz(t, tarOf(t, member{name: "a/b.txt", body: strings.Repeat("x", 100)}))
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"absolute path", "b.tar", tarOf(t, member{name: "/tmp/evil", body: "x"}), "absolute path"},
		{"dot dot", "b.tar", tarOf(t, member{name: "ok", body: "x"}, member{name: "../x", body: "x"}), `".."`},
		{"symlink to /etc", "b.tar", tarOf(t, member{name: "etc", link: "/etc", typ: tar.TypeSymlink}), "must be relative"},
		{"relative symlink out", "b.tar", tarOf(t, member{name: "d/up", link: "../../..", typ: tar.TypeSymlink}), "outside the build dir"},
		{"write through symlink", "b.tar", tarOf(t,
			member{name: "sub/", typ: tar.TypeDir},
			member{name: "link", link: "sub", typ: tar.TypeSymlink},
			member{name: "link/file", body: "x"}), "below symlink"},
		{"hardlink out of tree", "b.tar", tarOf(t, member{name: "passwd", link: "../../etc/passwd", typ: tar.TypeLink}), "leaves the build dir"},
		{"hardlink absolute", "b.tar", tarOf(t, member{name: "passwd", link: "/etc/passwd", typ: tar.TypeLink}), "leaves the build dir"},
		{"device node", "b.tar", tarOf(t, member{name: "null", typ: tar.TypeChar}), "device or fifo"},
		{"fifo", "b.tar", tarOf(t, member{name: "pipe", typ: tar.TypeFifo}), "device or fifo"},
		{"oversize", "b.tar.gz", gz(t, tarOf(t, member{name: "big", body: strings.Repeat("z", 5000)})), "expands to more than"},
		{"too many files", "b.tar", tarOf(t, member{name: "1", body: ""}, member{name: "2"}, member{name: "3"}, member{name: "4"},
			member{name: "5"}, member{name: "6"}, member{name: "7"}, member{name: "8"}, member{name: "9"}, member{name: "10"},
			member{name: "11"}), "more than 10 entries"},
		{"truncated gzip", "b.tar.gz", valid[:len(valid)/2], "truncated or corrupt"},
		{"truncated gzip trailer", "b.tgz", valid[:len(valid)-4], "truncated or corrupt"},
		{"zip slip", "b.zip", zipOf(t, "ok.txt", "../evil.txt"), `".."`},
		{"zip absolute", "b.zip", zipOf(t, "/evil.txt"), "absolute path"},
		{"not an archive", "b.zip", []byte("hello"), "not a zip file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			builds := filepath.Join(top, "builds")
			if err := os.Mkdir(builds, 0o755); err != nil {
				t.Fatal(err)
			}
			archive := filepath.Join(builds, "env-b1-"+tc.file)
			if err := os.WriteFile(archive, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			err := extractBuild(archive, filepath.Join(builds, "b1"), archiveLimits{maxBytes: 4096, maxFiles: 10})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if _, ok := err.(*permanentError); !ok {
				t.Errorf("a hostile archive must not be retried: %T", err)
			}
			entries, _ := os.ReadDir(builds)
			if len(entries) != 1 || entries[0].Name() != filepath.Base(archive) {
				t.Fatalf("builds dir holds %v, want only the archive", entries)
			}
			if top, _ := os.ReadDir(top); len(top) != 1 {
				t.Fatalf("something was written next to the builds dir: %v", top)
			}
		})
	}
}

func TestExtractValidArchives(t *testing.T) {
	for name, data := range map[string][]byte{
		"b.tar.gz": gz(t, tarOf(t,
			member{name: "./", typ: tar.TypeDir},
			member{name: "bin/run", body: "#!/bin/sh\n"},
			member{name: "bin/run2", link: "bin/run", typ: tar.TypeLink},
			member{name: "lib/current", link: "../bin", typ: tar.TypeSymlink})),
		"b.zip": zipOf(t, "bin/run", "lib/x"),
	} {
		t.Run(name, func(t *testing.T) {
			builds := t.TempDir()
			archive := filepath.Join(builds, name)
			os.WriteFile(archive, data, 0o644)
			buildDir := filepath.Join(builds, "b1")
			if err := extractBuild(archive, buildDir, archiveLimits{maxBytes: 1 << 20, maxFiles: 100}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(buildDir, "bin", "run")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(buildDir + extractedSuffix); err != nil {
				t.Fatalf("marker: %v", err)
			}
			if _, err := os.Stat(archive); !os.IsNotExist(err) {
				t.Fatalf("archive kept after extraction: %v", err)
			}
		})
	}
}

// FuzzExtract checks the invariant of extraction: it fails, or everything it created
// is inside the destination, symlinks included; and it never writes next to it.
func FuzzExtract(f *testing.F) {
	f.Add(tarOf(f, member{name: "a/b", body: "hello"}, member{name: "a/c", link: "b", typ: tar.TypeSymlink}))
	f.Add(tarOf(f, member{name: "d/", typ: tar.TypeDir}, member{name: "d/x", link: "d/../d", typ: tar.TypeLink}))
	f.Add(tarOf(f, member{name: "../x", body: "x"}))
	f.Add(tarOf(f, member{name: "/abs", body: "x"}))
	f.Add(tarOf(f, member{name: "l", link: "/etc", typ: tar.TypeSymlink}))
	f.Add(tarOf(f, member{name: "a", link: ".", typ: tar.TypeSymlink}, member{name: "a/l", link: "..", typ: tar.TypeSymlink}))
	f.Add(tarOf(f, member{name: "h", link: "../../etc/passwd", typ: tar.TypeLink}))
	f.Add(tarOf(f, member{name: "dev", typ: tar.TypeBlock}))
	f.Fuzz(func(t *testing.T, data []byte) {
		top := t.TempDir()
		archive := filepath.Join(top, "a.tar")
		dest := filepath.Join(top, "out")
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := os.Mkdir(dest, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		_ = extractArchive(archive, dest, archiveLimits{maxBytes: 1 << 20, maxFiles: 64})
		if dest, err = filepath.EvalSymlinks(dest); err != nil {
			t.Fatal(err)
		}

		entries, _ := os.ReadDir(top)
		if len(entries) != 2 {
			t.Fatalf("extraction wrote next to its destination: %v", entries)
		}
		err = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&os.ModeSymlink == 0 {
				return nil
			}
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			realDir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return err
			}
			resolved := filepath.Join(realDir, link)
			if filepath.IsAbs(link) || !(resolved == dest || strings.HasPrefix(resolved, dest+"/")) {
				t.Fatalf("symlink %s → %s resolves to %s, outside %s", p, link, resolved, dest)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
