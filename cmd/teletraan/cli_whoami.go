package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

// tokenView is the API's description of a token (GET /v1/auth/token).
type tokenView struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Scope      string `json:"scope"`
	ExpiresAt  string `json:"expiresAt"`
	CanOperate bool   `json:"canOperate"`
	CanPublish bool   `json:"canPublish"`
}

// newWhoAmICommand builds `teletraan whoami`: which token the CLI sends and what it may do.
func newWhoAmICommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the token the CLI sends (name, role, scope) and what it may do",
		Example: `  teletraan whoami
  TELETRAAN_TOKEN=tt_... teletraan whoami --url https://teletraan.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var v tokenView
			if err := c.do(cmd.Context(), http.MethodGet, "/v1/auth/token", nil, &v); err != nil {
				return err
			}
			scope := "all environments"
			if v.Scope != "*" && v.Scope != "" {
				scope = "environment " + v.Scope
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: %s, %s\n", v.Name, v.Role, scope)
			may := map[bool]string{true: "may", false: "may not"}
			fmt.Fprintf(out, "  %s deploy and act on stages; %s publish builds\n", may[v.CanOperate], may[v.CanPublish])
			if v.ExpiresAt != "" {
				fmt.Fprintf(out, "  expires %s\n", v.ExpiresAt)
			}
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}
