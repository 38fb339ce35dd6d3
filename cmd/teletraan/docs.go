package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// referenceCommands are the commands of the configuration reference, by their path under
// the root: the ones an operator runs and configures (the CLI verbs document themselves
// with --help and share the flags of the CLI section).
var referenceCommands = [][]string{
	{"server"}, {"worker"}, {"migrate"}, {"dev"}, {"dev", "temporal"}, {"token"}, {"token", "create"}, {"healthcheck"},
}

func newDocsCommand() *cobra.Command {
	docs := &cobra.Command{
		Use:   "docs",
		Short: "Print reference documentation generated from the commands themselves",
	}
	docs.AddCommand(&cobra.Command{
		Use:     "config",
		Short:   "Print the configuration reference (every flag and environment variable) as Markdown",
		Example: "  teletraan docs config > configuration.md",
		Long: `Print the configuration reference of the operator commands (their flags, defaults and
environment variables) as Markdown: the part of docs/configuration.md generated from this binary.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeConfigReference(cmd.OutOrStdout())
		},
	})
	return docs
}

// writeConfigReference writes the Markdown reference of the global flags, of each of
// referenceCommands' flags, and of envVars, from the command tree itself.
func writeConfigReference(w io.Writer) error {
	root := newRootCommand()
	var b strings.Builder
	b.WriteString("### Global flags (every command)\n\n")
	flagTable(&b, root.PersistentFlags())
	for _, path := range referenceCommands {
		cmd, rest, err := root.Find(path)
		if err != nil || len(rest) > 0 || cmd == root {
			return fmt.Errorf("the configuration reference names teletraan %s, which is not a command", strings.Join(path, " "))
		}
		fmt.Fprintf(&b, "\n### `teletraan %s`\n\n%s.\n\n", strings.Join(path, " "), cmd.Short)
		if cmd.LocalNonPersistentFlags().HasFlags() || cmd.PersistentFlags().HasFlags() {
			flags := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
			flags.AddFlagSet(cmd.LocalNonPersistentFlags())
			flags.AddFlagSet(cmd.PersistentFlags())
			flagTable(&b, flags)
		} else {
			b.WriteString("No flags of its own.\n")
		}
	}
	b.WriteString("\n### Environment variables\n\n| variable | read by | meaning |\n|---|---|---|\n")
	for _, v := range envVars {
		by := strings.Join(v.Commands, ", ")
		if v.ReadBy != "" {
			by += " (through " + v.ReadBy + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, by, v.Meaning)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// flagTable writes one Markdown row per flag that is not hidden, sorted by name.
func flagTable(b *strings.Builder, flags *pflag.FlagSet) {
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" || f.DefValue == "[]" {
			def = ""
		}
		fmt.Fprintf(b, "| `--%s` | %s | %s |\n", f.Name, def, markdownCell(f.Usage))
	})
}

// markdownCell escapes text for a table cell: pipes end cells and <...> would be read as HTML.
func markdownCell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
