package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// cliConfig is the CLI's config file: named contexts, each a server and the token to use
// there, like kubectl's and gh's, so that one person switches between a dev stack and
// production without retyping URLs and tokens.
type cliConfig struct {
	Current  string                `yaml:"current,omitempty"`
	Contexts map[string]cliContext `yaml:"contexts,omitempty"`
}

// cliContext is one server and its credentials.
type cliContext struct {
	URL   string `yaml:"url"`
	Token string `yaml:"token,omitempty"`
	// Login is the person's credential from teletraan login, used when no token is given.
	Login *cliLogin `yaml:"login,omitempty"`
	// name is the context's name in the config file (not stored: it is the map's key).
	name string
}

// configPath is where the config file lives: $TELETRAAN_CONFIG, else the user's config
// directory ($XDG_CONFIG_HOME or ~/.config on Linux).
func configPath() (string, error) {
	if p := os.Getenv("TELETRAAN_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory (set TELETRAAN_CONFIG to a file instead): %w", err)
	}
	return filepath.Join(dir, "teletraan", "config.yaml"), nil
}

// loadConfig reads the config file; a missing file is an empty config. A file others may
// read is refused when it holds a token: the token deploys code to every host.
func loadConfig() (*cliConfig, string, error) {
	path, err := configPath()
	if err != nil {
		return nil, "", err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &cliConfig{Contexts: map[string]cliContext{}}, path, nil
	}
	if err != nil {
		return nil, path, fmt.Errorf("read the config file %s: %w", path, err)
	}
	var c cliConfig
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, path, fmt.Errorf("the config file %s is not valid YAML (fix or remove it): %w", path, err)
	}
	if c.Contexts == nil {
		c.Contexts = map[string]cliContext{}
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 && c.hasToken() {
		return nil, path, fmt.Errorf("the config file %s holds tokens but others may read it (mode %04o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	if c.Current != "" {
		if _, ok := c.Contexts[c.Current]; !ok {
			return nil, path, fmt.Errorf("the config file %s says the current context is %q, which it does not define: run teletraan context use NAME", path, c.Current)
		}
	}
	return &c, path, nil
}

func (c *cliConfig) hasToken() bool {
	for _, ctx := range c.Contexts {
		if ctx.Token != "" || ctx.Login != nil {
			return true
		}
	}
	return false
}

// save writes the config file whole and atomically, readable by its owner only.
func (c *cliConfig) save(path string) error {
	raw, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode the config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the config directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write the config file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the config file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the config file %s: %w", path, err)
	}
	return nil
}

// resolveContext picks the context a verb uses: --context, else $TELETRAAN_CONTEXT, else
// the config's current one; nil when none is named and none is current.
func resolveContext(name string) (*cliContext, error) {
	if name == "" {
		name = os.Getenv("TELETRAAN_CONTEXT")
	}
	if name == "" && os.Getenv("TELETRAAN_CONFIG") == "" {
		if _, err := os.UserConfigDir(); err != nil {
			return nil, nil // no home to hold a config, and none asked for: flags and defaults only
		}
	}
	c, path, err := loadConfig()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = c.Current
	}
	if name == "" {
		return nil, nil
	}
	ctx, ok := c.Contexts[name]
	if !ok {
		return nil, fmt.Errorf("no context named %q in %s: teletraan context list shows them, teletraan context set %s --url URL adds it", name, path, name)
	}
	ctx.name = name
	return &ctx, nil
}

func newContextCommand() *cobra.Command {
	var (
		setURL, setToken string
		use              bool
	)
	set := &cobra.Command{
		Use:   "set NAME --url URL [--token TOKEN] [--use]",
		Short: "Add or change a context: a server and the token to use there",
		Example: `  teletraan context set prod --url https://teletraan.example.com --token "$PROD_TOKEN" --use
  teletraan context set dev --url http://127.0.0.1:8080`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := loadConfig()
			if err != nil {
				return err
			}
			ctx := c.Contexts[args[0]]
			if cmd.Flags().Changed("url") {
				u, err := url.Parse(setURL)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("--url must be an http(s) URL such as https://teletraan.example.com, not %q", setURL)
				}
				ctx.URL = strings.TrimRight(setURL, "/")
			}
			if ctx.URL == "" {
				return fmt.Errorf("context %q has no server yet: give --url", args[0])
			}
			if cmd.Flags().Changed("token") {
				ctx.Token = setToken
			}
			c.Contexts[args[0]] = ctx
			if use || c.Current == "" {
				c.Current = args[0]
			}
			if err := c.save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "context %s: %s (in %s)\n", args[0], ctx.URL, path)
			return nil
		},
	}
	set.Flags().StringVar(&setURL, "url", "", "the server's address")
	set.Flags().StringVar(&setToken, "token", "", "the API token to use there (stored in the config file, mode 0600)")
	set.Flags().BoolVar(&use, "use", false, "make it the current context")

	useCmd := &cobra.Command{
		Use:     "use NAME",
		Short:   "Make a context the current one",
		Example: `  teletraan context use prod`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := loadConfig()
			if err != nil {
				return err
			}
			if _, ok := c.Contexts[args[0]]; !ok {
				return fmt.Errorf("no context named %q in %s: add it with teletraan context set %s --url URL", args[0], path, args[0])
			}
			c.Current = args[0]
			if err := c.save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "now using context %s\n", args[0])
			return nil
		},
	}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the contexts; the current one is marked with *",
		Example: `  teletraan context list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, path, err := loadConfig()
			if err != nil {
				return err
			}
			if len(c.Contexts) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no contexts in %s: add one with teletraan context set NAME --url URL\n", path)
				return nil
			}
			names := make([]string, 0, len(c.Contexts))
			for n := range c.Contexts {
				names = append(names, n)
			}
			sort.Strings(names)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			row(tw, "", "NAME", "URL", "TOKEN")
			for _, n := range names {
				mark, token := "", "none"
				if n == c.Current {
					mark = "*"
				}
				if c.Contexts[n].Token != "" {
					token = "set" // never printed: it deploys code to every host
				}
				row(tw, mark, n, c.Contexts[n].URL, token)
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Remove a context and its token from the config file",
		Example: `  teletraan context delete old-prod`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := loadConfig()
			if err != nil {
				return err
			}
			if _, ok := c.Contexts[args[0]]; !ok {
				return fmt.Errorf("no context named %q in %s", args[0], path)
			}
			delete(c.Contexts, args[0])
			if c.Current == args[0] {
				c.Current = ""
			}
			if err := c.save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted context %s\n", args[0])
			return nil
		},
	}
	cmd := &cobra.Command{Use: "context", Short: "Manage named servers and their tokens (contexts)", Args: cobra.NoArgs}
	cmd.AddCommand(set, useCmd, list, del)
	return cmd
}
