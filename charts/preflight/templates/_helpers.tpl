{{/* The release's name for every object, at most 63 characters. */}}
{{- define "preflight.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "preflight.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "preflight.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "preflight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "preflight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "preflight.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "preflight.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret holding the webhook's serving certificate. */}}
{{- define "preflight.tlsSecret" -}}
{{- printf "%s-webhook-tls" (include "preflight.fullname" .) -}}
{{- end -}}

{{/* The Service the API server calls. */}}
{{- define "preflight.service" -}}
{{- include "preflight.fullname" . -}}
{{- end -}}

{{- define "preflight.serviceDNSNames" -}}
{{- $svc := include "preflight.service" . -}}
{{- list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) | toJson -}}
{{- end -}}

{{/*
The rules of everything preflight reads and writes inside the namespaces it
watches: in its ClusterRole, or in a Role of each of operator.watchNamespaces.
*/}}
{{- define "preflight.namespacedRules" }}
  # The guards: watched by the controller and the webhook; status written by the leader.
  - apiGroups: ["preflight.dev"]
    resources: ["databaseguards"]
    verbs: ["list", "watch"]
  - apiGroups: ["preflight.dev"]
    resources: ["databaseguards/status"]
    verbs: ["patch"]
  # The database URL and the expected schema a guard refers to, read by name.
  - apiGroups: [""]
    resources: ["secrets", "configmaps"]
    verbs: ["get"]
  # Workloads whose release steps are linted.
  - apiGroups: ["batch"]
    resources: ["jobs", "cronjobs"]
    verbs: ["list", "watch"]
  - apiGroups: ["apps"]
    resources: ["deployments", "statefulsets", "daemonsets"]
    verbs: ["list", "watch"]
  # Events on guards and workloads (a repeated Event is patched).
  - apiGroups: ["events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch"]
{{- end }}

{{/*
The namespaces a namespaced install watches (operator.watchNamespaces),
comma-joined; empty for the whole cluster.
*/}}
{{- define "preflight.watchNamespaces" -}}
{{- $ns := .Values.operator.watchNamespaces | default list -}}
{{- $ns | uniq | join "," -}}
{{- end }}
