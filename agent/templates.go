package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// templateSuffix marks files under teletraan/ that are rendered at STAGING.
const templateSuffix = ".tmpl"

// renderTemplates renders every *.tmpl under dir into the same name without the suffix,
// so that one build can carry per-environment config filled from script variables.
func renderTemplates(dir string, vars map[string]string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, templateSuffix) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read template: %w", err)
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat template: %w", err)
		}
		out := strings.TrimSuffix(p, templateSuffix)
		if err := writeFileAtomic(out, []byte(expandVars(string(data), vars)), fi.Mode().Perm()); err != nil {
			return fmt.Errorf("render template %s: %w", p, err)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a build without teletraan/ has no templates
	}
	return err
}

// expandVars substitutes like Teletraan's stager (Python string.Template, safe mode):
// ${NAME}, ${NAME:default} and $NAME take the script variable NAME, or, for
// TELETRAAN_NAME, the variable NAME; unknown names without a default stay as written, so
// that shell variables in a rendered script survive; $$ is a literal $.
func expandVars(text string, vars map[string]string) string {
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		if rest, ok := strings.CutPrefix(name, "TELETRAAN_"); ok {
			v, ok := vars[rest]
			return v, ok
		}
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		if c != '$' || i+1 == len(text) {
			b.WriteByte(c)
			i++
			continue
		}
		next := text[i+1]
		switch {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '{':
			end := strings.IndexByte(text[i+2:], '}')
			if end < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			inner := text[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(inner, ":")
			if !isVarName(name) {
				b.WriteByte(c)
				i++
				continue
			}
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else if hasDef {
				b.WriteString(def)
			} else {
				b.WriteString(text[i : i+3+end])
			}
			i += 3 + end
		default:
			n := varNameLen(text[i+1:])
			if n == 0 {
				b.WriteByte(c)
				i++
				continue
			}
			name := text[i+1 : i+1+n]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(text[i : i+1+n])
			}
			i += 1 + n
		}
	}
	return b.String()
}

// varNameLen is the length of the identifier at the start of s.
func varNameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return i
	}
	return len(s)
}

func isVarName(s string) bool { return s != "" && varNameLen(s) == len(s) }
