package temporal

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// CheckNamespace fails with an error that says how to fix it when namespace does not
// exist on the cluster c is connected to, or cannot be described with c's credentials:
// without it every deploy would fail at its first Temporal call instead of at start.
func CheckNamespace(ctx context.Context, c client.Client, address, namespace string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err == nil {
		return nil
	}
	var notFound *serviceerror.NamespaceNotFound
	var denied *serviceerror.PermissionDenied
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("namespace %s does not exist on the Temporal cluster at %s: create it (`temporal operator namespace create --namespace %s --retention 30d`) or set %s to an existing one",
			namespace, address, namespace, envNamespace)
	case errors.As(err, &denied):
		return fmt.Errorf("the Temporal cluster at %s refuses to describe namespace %s to these credentials (%v): check %s or the client certificate (%s)",
			address, namespace, err, envAPIKey, envTLSCertPath)
	default:
		return fmt.Errorf("describe namespace %s on the Temporal cluster at %s: %w", namespace, address, err)
	}
}
