package temporal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// The search attribute keys themselves belong to the workflows that set them
// (workflows.EnvKey, ...); this file makes sure a namespace has them registered.

// EnsureSearchAttributes registers any of Teletraan's search attributes that
// the namespace lacks. It only adds what is missing, so it is safe to call on
// every start, and it fails if an attribute exists with a different type
// because queries against it would silently misbehave.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{
		Namespace: namespace,
	})
	if err != nil {
		return fmt.Errorf("list search attributes in namespace %s: %w", namespace, err)
	}

	existing := resp.GetCustomAttributes()
	missing := make(map[string]enumspb.IndexedValueType)
	for name, want := range workflows.SearchAttributeTypes() {
		got, ok := existing[name]
		if !ok {
			if _, system := resp.GetSystemAttributes()[name]; system {
				return fmt.Errorf("search attribute %s in namespace %s is a system attribute and cannot be used by Teletraan", name, namespace)
			}
			missing[name] = want
			continue
		}
		if got != want {
			return fmt.Errorf("search attribute %s in namespace %s has type %s but Teletraan needs %s: remove it or use another namespace",
				name, namespace, got, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}

	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		// Another Teletraan process starting at the same time may have won the race.
		var exists *serviceerror.AlreadyExists
		if errors.As(err, &exists) {
			return nil
		}
		names := slices.Sorted(maps.Keys(missing))
		noun := "search attribute"
		if len(names) > 1 {
			noun = "search attributes"
		}
		return fmt.Errorf("register %s %s in namespace %s: %w: ask your Temporal operator to run `%s`",
			noun, strings.Join(names, ", "), namespace, err, createCommand(namespace, names))
	}
	return nil
}

// createCommand spells out the CLI command an operator can run when the
// client lacks permission to register the attributes itself.
func createCommand(namespace string, names []string) string {
	var b strings.Builder
	b.WriteString("temporal operator search-attribute create --namespace ")
	b.WriteString(namespace)
	for _, n := range names {
		b.WriteString(" --name ")
		b.WriteString(n)
		b.WriteString(" --type Keyword")
	}
	return b.String()
}
