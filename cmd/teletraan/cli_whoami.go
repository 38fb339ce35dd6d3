package main

import (
	"fmt"
	"io"

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
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the token the CLI sends (name, role, scope) and what it may do",
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
				scope := "all environments"
				if v.Scope != "*" && v.Scope != "" {
					scope = "environment " + v.Scope
				}
				fmt.Fprintf(out, "%s: %s, %s\n", v.Name, v.Role, scope)
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
