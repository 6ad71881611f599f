//go:build tools

// Package jaeger pins the trace receiver tools/jaeger.js builds; see README.md.
package jaeger

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
