{{/* Names and labels shared by every object of the release. */}}
{{- define "hes.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hes.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hes.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hes.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hes.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "hes.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hes.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hes.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the master key, and its key. */}}
{{- define "hes.masterKeySecret" -}}
{{- if .Values.masterKey.existingSecret -}}{{ .Values.masterKey.existingSecret }}{{- else -}}{{ include "hes.fullname" . }}{{- end -}}
{{- end -}}
{{- define "hes.masterKeySecretKey" -}}
{{- if .Values.masterKey.existingSecret -}}{{ .Values.masterKey.existingSecretKey }}{{- else -}}masterKey{{- end -}}
{{- end -}}

{{/* The CENC listener settings as the HES reads them: "<tcp|udp>:<port>:<framing>". */}}
{{- define "hes.cencListeners" -}}
{{- $out := list -}}
{{- range .Values.roles.cenc.listeners -}}
{{- $out = append $out (printf "%s:%d:%s" (lower .protocol) (int .port) .framing) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
