package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// Output formats of the read verbs.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// outputFlag is the -o flag of every read verb: a table for people, or the API's answer as
// JSON or YAML for scripts (the same shape the REST API documents, so a script written
// against one works with the other).
type outputFlag struct {
	format string
}

func (o *outputFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", outputTable, "output format: table, json or yaml (json and yaml are the API's answer)")
}

// check refuses an unknown format before anything is asked of the server.
func (o *outputFlag) check() error {
	switch o.format {
	case outputTable, outputJSON, outputYAML:
		return nil
	}
	return fmt.Errorf("--output (-o) must be table, json or yaml, not %q", o.format)
}

// print writes raw, the API's JSON answer, in the chosen format; table draws it for people.
func (o *outputFlag) print(out io.Writer, raw []byte, table func(io.Writer) error) error {
	switch o.format {
	case outputJSON:
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("the server's answer is not JSON: %w", err)
		}
		buf.WriteByte('\n')
		_, err := out.Write(buf.Bytes())
		return err
	case outputYAML:
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("the server's answer is not JSON: %w", err)
		}
		b, err := yaml.Marshal(yamlNode(v))
		if err != nil {
			return fmt.Errorf("write the answer as YAML: %w", err)
		}
		_, err = out.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// yamlNode builds the YAML of a decoded JSON value by hand: yaml.v3's own encoder drops a
// string's leading newline (a script's output often has one), and the YAML must say exactly
// what the API says. Keys are sorted, as yaml.Marshal sorts a map's.
func yamlNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, yamlString(k), yamlNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: t.String()}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: t.String()}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}
	case string:
		return yamlString(t)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}

// yamlString is a string scalar; one with a line break or a tab, or with whitespace at
// either end, is double-quoted so that no YAML reader folds or trims it.
func yamlString(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, "\n\r\t") || s != strings.TrimSpace(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// row writes one tab-separated table row; empty cells show as "-" so columns stay aligned.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
		cells[i] = strings.ReplaceAll(cells[i], "\t", " ")
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}
