//go:build tools

// Package traefik pins the ingress controller tools/k8s.js builds; see README.md.
package traefik

import (
	_ "github.com/traefik/traefik/v3/cmd/traefik"
)
