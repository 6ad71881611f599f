{{/* The release's name for everything it creates, within Kubernetes' 63 characters. */}}
{{- define "dispatch.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dispatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: `dict "root" $ "component" "functions"`. */}}
{{- define "dispatch.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dispatch.image" -}}
{{ .root.Values.image.registry }}/dispatch-{{ .service }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- end -}}

{{- define "dispatch.etcdEndpoints" -}}
{{- if .Values.etcd.endpoints -}}
{{ join "," .Values.etcd.endpoints }}
{{- else if .Values.etcd.bundled.enabled -}}
http://{{ include "dispatch.fullname" . }}-etcd:2379
{{- else -}}
{{ fail "etcd: give etcd.endpoints, or set etcd.bundled.enabled" }}
{{- end -}}
{{- end -}}

{{- define "dispatch.kafkaBrokers" -}}
{{- if .Values.kafka.brokers -}}
{{ join "," .Values.kafka.brokers }}
{{- else if .Values.kafka.bundled.enabled -}}
{{ include "dispatch.fullname" . }}-kafka:9092
{{- else -}}
{{ fail "kafka: give kafka.brokers, or set kafka.bundled.enabled" }}
{{- end -}}
{{- end -}}

{{/* Where the functions service finds the runs database's URL: a Secret's name and key. */}}
{{- define "dispatch.postgresSecret" -}}
{{- if .Values.postgres.existingSecret -}}
{{ .Values.postgres.existingSecret }} {{ .Values.postgres.secretKey }}
{{- else if or .Values.postgres.url .Values.postgres.bundled.enabled -}}
{{ include "dispatch.fullname" . }} postgres-url
{{- else -}}
{{ fail "postgres: give postgres.url or postgres.existingSecret, or set postgres.bundled.enabled" }}
{{- end -}}
{{- end -}}

{{/* A service's base URL inside the cluster: `dict "root" $ "service" "functions"`. */}}
{{- define "dispatch.serviceUrl" -}}
http://{{ include "dispatch.fullname" .root }}-{{ .service }}:{{ (index .root.Values.services .service).port }}
{{- end -}}

{{/* The services sharing the data volume: what they build and run lives there. */}}
{{- define "dispatch.sharesData" -}}
{{- if has . (list "images" "functions") -}}true{{- end -}}
{{- end -}}

{{/*
The services that run tenants' code in sandboxes of their own pod: image builds, driver programs, and
functions. The functions service compiles java functions' sources in a sandbox whichever runtime runs
them, so it needs one with functions.runtime=kubernetes too.
*/}}
{{- define "dispatch.runsTenantCode" -}}
{{- if has .service (list "images" "events" "functions") -}}true{{- end -}}
{{- end -}}

{{/* The function runner image, `{language}` left for the functions service to fill in. */}}
{{- define "dispatch.runnerImage" -}}
{{- if .Values.functions.kubernetes.runnerImage -}}
{{ .Values.functions.kubernetes.runnerImage }}
{{- else -}}
{{ .Values.image.registry }}/dispatch-runner-{language}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}
