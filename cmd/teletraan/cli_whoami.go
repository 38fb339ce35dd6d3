package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// tokenView is the API's description of the caller (GET /v1/auth/token): a token, or a
// person signed in with teletraan login.
type tokenView struct {
	Kind       string            `json:"kind"`
	Name       string            `json:"name"`
	Via        string            `json:"via"`
	Role       string            `json:"role"`
	Scope      string            `json:"scope"`
	EnvRoles   map[string]string `json:"envRoles"`
	Groups     []string          `json:"groups"`
	ExpiresAt  string            `json:"expiresAt"`
	CanOperate bool              `json:"canOperate"`
	CanPublish bool              `json:"canPublish"`
}

// newWhoAmICommand builds `teletraan whoami`: which token the CLI sends and what it may do.
func newWhoAmICommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the CLI acts as (a token's name, role and scope, or your email and roles) and what it may do",
		Example: `  teletraan whoami
  TELETRAAN_TOKEN=tt_... teletraan whoami --url https://teletraan.example.com
  teletraan whoami -o json | jq -r .role`,
		Args: cobra.NoArgs,
		RunE: listRun(&cf, &of, func([]string) (string, error) { return "/v1/auth/token", nil },
			func(raw []byte, out io.Writer) error {
				v, err := decodeAnswer[tokenView](raw)
				if err != nil {
					return err
				}
				if v.Kind == "person" {
					writePerson(out, v)
				} else {
					scope := "all environments"
					if v.Scope != "*" && v.Scope != "" {
						scope = "environment " + v.Scope
					}
					fmt.Fprintf(out, "%s: %s, %s\n", v.Name, v.Role, scope)
				}
				may := map[bool]string{true: "may", false: "may not"}
				fmt.Fprintf(out, "  %s deploy and act on stages; %s publish builds\n", may[v.CanOperate], may[v.CanPublish])
				if v.ExpiresAt != "" {
					fmt.Fprintf(out, "  expires %s\n", v.ExpiresAt)
				}
				return nil
			}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// writePerson describes a signed-in person: their roles everywhere and per environment.
func writePerson(out io.Writer, v tokenView) {
	role := v.Role
	if role == "" {
		role = "no role"
	}
	fmt.Fprintf(out, "%s (signed in, %s): %s in every environment\n", v.Name, v.Via, role)
	envs := make([]string, 0, len(v.EnvRoles))
	for env := range v.EnvRoles {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	for _, env := range envs {
		r := v.EnvRoles[env]
		if r == "" {
			r = "no role"
		}
		fmt.Fprintf(out, "  %s in %s\n", r, env)
	}
	if len(v.Groups) > 0 {
		fmt.Fprintf(out, "  groups: %s\n", strings.Join(v.Groups, ", "))
	}
}
