package agent

// Internal tests: hostile archives are checked against extractBuild itself so that the
// invariant ("nothing outside the build, nothing half-staged") is tested where it lives.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
	var ms []zipMember
	for _, n := range names {
		ms = append(ms, zipMember{name: n, body: "payload"})
	}
	return zipWith(t, ms...)
}

// zipMember is one zip entry; a mode with fs.ModeSymlink makes body the link target.
type zipMember struct {
	name, body string
	mode       fs.FileMode
}

func zipWith(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		mode := m.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m.body))
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
		{"oversize", "b.tar.gz", gz(t, tarOf(t, member{name: "big", body: strings.Repeat("z", 20000)})), "expands to more than"},
		{"too many files", "b.tar", tarOf(t, member{name: "1", body: ""}, member{name: "2"}, member{name: "3"}, member{name: "4"},
			member{name: "5"}, member{name: "6"}, member{name: "7"}, member{name: "8"}, member{name: "9"}, member{name: "10"},
			member{name: "11"}), "more than 10 entries"},
		{"truncated gzip", "b.tar.gz", valid[:len(valid)/2], "truncated or corrupt"},
		{"truncated gzip trailer", "b.tgz", valid[:len(valid)-4], "truncated or corrupt"},
		{"zip slip", "b.zip", zipOf(t, "ok.txt", "../evil.txt"), `".."`},
		{"zip absolute", "b.zip", zipOf(t, "/evil.txt"), "absolute path"},
		{"not an archive", "b.zip", []byte("hello"), "not a zip file"},
		// a/l resolves to the build dir itself, so a/l/../.. is its grandparent, though
		// the string "a/l/../.." cleans to ".".
		{"two-link chain", "b.tar", tarOf(t,
			member{name: "a/", typ: tar.TypeDir},
			member{name: "a/l", link: "..", typ: tar.TypeSymlink},
			member{name: "d", link: "a/l/../..", typ: tar.TypeSymlink}), "resolves outside the build dir"},
		{"dangling link completed later", "b.tar", tarOf(t,
			member{name: "d", link: "l/..", typ: tar.TypeSymlink},
			member{name: "l", link: ".", typ: tar.TypeSymlink}), "once later entries are in place"},
		{"link through a file", "b.tar", tarOf(t,
			member{name: "f", body: "x"},
			member{name: "d", link: "f/../..", typ: tar.TypeSymlink}), "resolves outside the build dir"},
		{"link loop", "b.tar", tarOf(t,
			member{name: "a", link: "b", typ: tar.TypeSymlink},
			member{name: "b", link: "a", typ: tar.TypeSymlink}), "more than 40 symlinks"},
		{"hardlink to a symlink", "b.tar", tarOf(t,
			member{name: "f", body: "x"},
			member{name: "s", link: "f", typ: tar.TypeSymlink},
			member{name: "h", link: "s", typ: tar.TypeLink}), "must point to a regular file"},
		{"hardlink through a symlink", "b.tar", tarOf(t,
			member{name: "d/f", body: "x"},
			member{name: "s", link: "d", typ: tar.TypeSymlink},
			member{name: "h", link: "s/f", typ: tar.TypeLink}), "below symlink"},
		{"block device", "b.tar", tarOf(t, member{name: "sda", typ: tar.TypeBlock}), "device or fifo"},
		{"trailing zeros in the gzip stream", "b.tar.gz",
			gz(t, append(tarOf(t, member{name: "a", body: "x"}), make([]byte, 64<<10)...)), "decompressed stream is larger"},
		{"trailing gzip member", "b.tgz",
			append(gz(t, tarOf(t, member{name: "a", body: "x"})), gz(t, make([]byte, 64<<10))...), "decompressed stream is larger"},
		{"too many global headers", "b.tar", globalHeaders(t, 11), "more than 10 entries"},
		{"zip symlink chain", "b.zip", zipWith(t,
			zipMember{name: "a/", mode: fs.ModeDir | 0o755},
			zipMember{name: "a/l", body: "..", mode: fs.ModeSymlink | 0o777},
			zipMember{name: "d", body: "a/l/../..", mode: fs.ModeSymlink | 0o777}), "resolves outside the build dir"},
		{"zip absolute symlink", "b.zip", zipWith(t, zipMember{name: "etc", body: "/etc", mode: fs.ModeSymlink | 0o777}), "must be relative"},
		{"zip fifo", "b.zip", zipWith(t, zipMember{name: "p", mode: fs.ModeNamedPipe | 0o644}), "device, fifo or socket"},
		{"zip oversize", "b.zip", zipWith(t, zipMember{name: "big", body: strings.Repeat("z", 20000)}), "expands to more than"},
		{"zip too many entries", "b.zip", zipOf(t, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"), "11 entries"},
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
			err := extractBuild(archive, filepath.Join(builds, "b1"), archiveLimits{maxBytes: 16 << 10, maxFiles: 10})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if _, ok := err.(*permanentError); !ok {
				t.Errorf("a hostile archive must not be retried: %T", err)
			}
			// A refused archive cannot become acceptable: it goes at once.
			if entries, _ := os.ReadDir(builds); len(entries) != 0 {
				t.Fatalf("builds dir holds %v after a refused archive, want nothing", entries)
			}
			if top, _ := os.ReadDir(top); len(top) != 1 {
				t.Fatalf("something was written next to the builds dir: %v", top)
			}
		})
	}
}

// globalHeaders is a tar of n PAX global headers and nothing else.
func globalHeaders(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < n; i++ {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"comment": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestExtractValidArchives(t *testing.T) {
	for name, data := range map[string][]byte{
		"b.tar.gz": gz(t, tarOf(t,
			member{name: "./", typ: tar.TypeDir},
			member{name: "bin/run", body: "#!/bin/sh\n"},
			member{name: "bin/run2", link: "bin/run", typ: tar.TypeLink},
			member{name: "lib/current", link: "../bin", typ: tar.TypeSymlink},
			// Links that stay inside are fine however they get there, dangling ones too.
			member{name: "lib/up", link: "..", typ: tar.TypeSymlink},
			member{name: "lib/again", link: "up/lib/up/bin/run", typ: tar.TypeSymlink},
			member{name: "logs", link: "var/log/app", typ: tar.TypeSymlink})),
		"b.zip": zipWith(t, zipMember{name: "bin/run", body: "#!/bin/sh\n"}, zipMember{name: "lib/x"},
			zipMember{name: "lib/run", body: "../bin/run", mode: fs.ModeSymlink | 0o777}),
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

// FuzzExtract checks the invariant of extraction by asking the filesystem, not by
// comparing strings: whatever the archive (tar, tar.gz or zip, chosen by the first byte),
// extraction either fails and extractBuild leaves nothing behind, or every path it
// created resolves, through all its links, to a place inside the build; the build holds
// only dirs, regular files and symlinks; every hardlinked file's other names are inside
// the build; and nothing was written next to it.
func FuzzExtract(f *testing.F) {
	seeds := [][]byte{
		tarOf(f, member{name: "a/b", body: "hello"}, member{name: "a/c", link: "b", typ: tar.TypeSymlink}),
		tarOf(f, member{name: "d/", typ: tar.TypeDir}, member{name: "d/x", link: "d/../d", typ: tar.TypeLink}),
		tarOf(f, member{name: "../x", body: "x"}),
		tarOf(f, member{name: "/abs", body: "x"}),
		tarOf(f, member{name: "l", link: "/etc", typ: tar.TypeSymlink}),
		tarOf(f, member{name: "a", link: ".", typ: tar.TypeSymlink}, member{name: "a/l", link: "..", typ: tar.TypeSymlink}),
		tarOf(f, member{name: "a/", typ: tar.TypeDir}, member{name: "a/l", link: "..", typ: tar.TypeSymlink},
			member{name: "d", link: "a/l/../..", typ: tar.TypeSymlink}),
		tarOf(f, member{name: "d", link: "l/..", typ: tar.TypeSymlink}, member{name: "l", link: ".", typ: tar.TypeSymlink}),
		tarOf(f, member{name: "h", link: "../../etc/passwd", typ: tar.TypeLink}),
		tarOf(f, member{name: "f", body: "x"}, member{name: "s", link: "f", typ: tar.TypeSymlink}, member{name: "h", link: "s", typ: tar.TypeLink}),
		tarOf(f, member{name: "dev", typ: tar.TypeBlock}),
		tarOf(f, member{name: "p", typ: tar.TypeFifo}),
	}
	for _, seed := range seeds {
		f.Add(append([]byte{0}, seed...))
		f.Add(append([]byte{1}, gz(f, seed)...))
	}
	f.Add(append([]byte{1}, append(gz(f, seeds[0]), gz(f, make([]byte, 1<<17))...)...))
	f.Add(append([]byte{2}, zipWith(f, zipMember{name: "a/", mode: fs.ModeDir | 0o755},
		zipMember{name: "a/l", body: "..", mode: fs.ModeSymlink | 0o777},
		zipMember{name: "d", body: "a/l/../..", mode: fs.ModeSymlink | 0o777})...))
	f.Add(append([]byte{2}, zipOf(f, "ok", "../evil")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		top := t.TempDir()
		builds := filepath.Join(top, "builds")
		if err := os.Mkdir(builds, 0o755); err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(builds, "env-b1"+[]string{".tar", ".tar.gz", ".zip"}[int(data[0])%3])
		if err := os.WriteFile(archive, data[1:], 0o644); err != nil {
			t.Fatal(err)
		}
		buildDir := filepath.Join(builds, "b1")
		err := extractBuild(archive, buildDir, archiveLimits{maxBytes: 1 << 16, maxFiles: 64})
		if entries, _ := os.ReadDir(top); len(entries) != 1 {
			t.Fatalf("extraction wrote next to the builds dir: %v", entries)
		}
		if err != nil {
			if entries, _ := os.ReadDir(builds); len(entries) > 0 {
				t.Fatalf("failed extraction (%v) left %v", err, entries)
			}
			return
		}
		checkConfined(t, buildDir)
	})
}

// checkConfined fails unless everything below dir resolves inside it, as the kernel
// would resolve it for a script, and holds nothing but dirs, files and symlinks.
func checkConfined(t *testing.T, dir string) {
	t.Helper()
	inodes := map[uint64]int{}
	links := map[uint64]uint64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if got := resolveOnDisk(t, p, 0); got != dir && !strings.HasPrefix(got, dir+"/") {
				target, _ := os.Readlink(p)
				t.Fatalf("%s -> %s resolves to %s, outside %s", p, target, got, dir)
			}
		case fi.Mode().IsRegular():
			st := fi.Sys().(*syscall.Stat_t)
			inodes[st.Ino]++
			links[st.Ino] = uint64(st.Nlink)
		case fi.IsDir():
		default:
			t.Fatalf("%s has mode %s; builds hold only dirs, files and symlinks", p, fi.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for ino, n := range inodes {
		if uint64(n) != links[ino] {
			t.Fatalf("inode %d has %d links but only %d inside the build", ino, links[ino], n)
		}
	}
}

// resolveOnDisk follows p's symlinks with the filesystem's own answers (Lstat,
// Readlink), taking a missing component literally, and returns the absolute path it
// lands on: where a script following the link would end up, or create a file.
func resolveOnDisk(t *testing.T, p string, hops int) string {
	t.Helper()
	cur := "/"
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := 0; i < len(parts); i++ {
		next := filepath.Join(cur, parts[i])
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next // filepath.Join applies ".." lexically, as for a missing dir
			continue
		}
		if hops++; hops > 40 {
			return next // a loop points nowhere; the extractor refuses those anyway
		}
		link, err := os.Readlink(next)
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(cur, link)
		}
		cur = resolveOnDisk(t, link, hops)
	}
	return cur
}
