{{/* Names and labels. */}}
{{- define "xietong.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object but the instance (the selector of a service's objects has it). */}}
{{- define "xietong.labels" -}}
app.kubernetes.io/part-of: xietong
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of an object that belongs to no one service. */}}
{{- define "xietong.releaseLabels" -}}
{{ include "xietong.labels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" "referral") */}}
{{- define "xietong.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "xietong.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}:{{ $tag }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/* The Python package of a service: info-sharing -> info_sharing (its database roles). */}}
{{- define "xietong.pkg" -}}
{{- . | replace "-" "_" -}}
{{- end -}}

{{/* A service's merged settings: (dict "root" $ "name" NAME "svc" VALUES) -> YAML. */}}
{{- define "xietong.service" -}}
{{- $d := deepCopy .root.Values.defaults -}}
{{- $s := mergeOverwrite $d (deepCopy .svc) -}}
{{- $pkg := include "xietong.pkg" .name -}}
{{- $_ := set $s "secret" ($s.secret | default (printf "%s-%s" (include "xietong.fullname" .root) .name)) -}}
{{- $_ := set $s "migrationSecret" ($s.migrationSecret | default (printf "%s-%s-migrate" (include "xietong.fullname" .root) .name)) -}}
{{- $_ := set $s "databaseUser" ($s.databaseUser | default (printf "%s_app" $pkg)) -}}
{{- $_ := set $s "migrationUser" ($s.migrationUser | default $pkg) -}}
{{- $_ := set $s "kafkaUser" ($s.kafkaUser | default .name) -}}
{{- toYaml $s -}}
{{- end -}}

{{/* Where the secrets are mounted in every pod. */}}
{{- define "xietong.secretDir" -}}/run/secrets/xietong{{- end -}}

{{/* The token settings every pod shares (the services and the workbench): root -> env. */}}
{{- define "xietong.tokenEnv" -}}
{{- $v := .Values -}}
{{- $dir := include "xietong.secretDir" . -}}
- name: XIETONG_JWT_LOCAL_KEY
  value: "false"
{{- if $v.jwt.jwksUrl }}
- name: XIETONG_JWT_JWKS_URL
  value: {{ $v.jwt.jwksUrl | quote }}
{{- else if $v.jwt.existingSecret }}
- name: XIETONG_JWT_SECRET_FILE
  value: {{ printf "%s/jwt/jwt-secret" $dir | quote }}
{{- else }}
{{- fail "set jwt.jwksUrl (the identity provider) or jwt.existingSecret (an HS256 secret)" }}
{{- end }}
- name: XIETONG_JWT_ISSUER
  value: {{ $v.jwt.issuer | quote }}
- name: XIETONG_JWT_AUDIENCE
  value: {{ $v.jwt.audience | quote }}
- name: XIETONG_JWT_USER_CLAIM
  value: {{ $v.jwt.userClaim | quote }}
- name: XIETONG_JWT_ORG_CLAIM
  value: {{ $v.jwt.orgClaim | quote }}
- name: XIETONG_JWT_ROLES_CLAIM
  value: {{ $v.jwt.rolesClaim | quote }}
{{- end -}}

{{/* The settings every container of a service shares (the Deployment and the migration Job):
     (dict "root" $ "name" NAME "s" MERGED "user" DB_ROLE "migrate" BOOL); the migration Job
     gets only what `xietong migrate` reads. */}}
{{- define "xietong.env" -}}
{{- $v := .root.Values -}}
{{- $dir := include "xietong.secretDir" . -}}
- name: XIETONG_SERVICE_NAME
  value: {{ .name | quote }}
- name: XIETONG_DEPLOYMENT_ID
  value: {{ required "deploymentId is required (production, staging, …)" $v.deploymentId | quote }}
- name: XIETONG_DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s@%s:%v/%s" .user (required "postgres.host is required (the external PostgreSQL)" $v.postgres.host) $v.postgres.port .s.database | quote }}
- name: XIETONG_DATABASE_PASSWORD_FILE
  value: {{ printf "%s/database-password" $dir | quote }}
{{- if $v.postgres.sslMode }}
- name: PGSSLMODE
  value: {{ $v.postgres.sslMode | quote }}
{{- end }}
{{- if $v.postgres.caSecret.name }}
- name: PGSSLROOTCERT
  value: {{ printf "%s/postgres-ca/%s" $dir $v.postgres.caSecret.key | quote }}
{{- end }}
{{- if not .migrate }}
- name: XIETONG_KAFKA_BOOTSTRAP_SERVERS
  value: {{ required "kafka.bootstrapServers is required (the external Kafka)" $v.kafka.bootstrapServers | quote }}
- name: XIETONG_KAFKA_NAMESPACE
  value: {{ $v.kafka.namespace | quote }}
- name: XIETONG_KAFKA_SECURITY_PROTOCOL
  value: {{ $v.kafka.securityProtocol | quote }}
- name: XIETONG_KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.saslMechanism | quote }}
- name: XIETONG_KAFKA_SASL_USERNAME
  value: {{ .s.kafkaUser | quote }}
- name: XIETONG_KAFKA_SASL_PASSWORD_FILE
  value: {{ printf "%s/kafka-password" $dir | quote }}
{{- if $v.kafka.caSecret.name }}
- name: XIETONG_KAFKA_SSL_CAFILE
  value: {{ printf "%s/kafka-ca/%s" $dir $v.kafka.caSecret.key | quote }}
{{- end }}
- name: XIETONG_KAFKA_REPLICATION_FACTOR
  value: {{ $v.kafka.replicationFactor | quote }}
- name: XIETONG_KAFKA_TOPIC_PARTITIONS
  value: {{ $v.kafka.partitions | quote }}
{{ include "xietong.tokenEnv" .root }}
- name: XIETONG_DATA_DIR
  value: /var/lib/xietong/data
- name: XIETONG_DATA_SEED_DIR
  value: /app/data
- name: XIETONG_BLOB_DIR
  value: /var/lib/xietong/blobs
- name: XIETONG_AUDIT_KEY_DIR
  value: {{ $dir | quote }}
- name: XIETONG_AUDIT_KEY_FILE
  value: {{ printf "%s/audit-signing-key.pem" $dir | quote }}
- name: XIETONG_AUDIT_KEY_GENERATE
  value: "false"
{{- range $env, $key := .s.secretEnv }}
- name: {{ printf "%s_FILE" $env }}
  value: {{ printf "%s/%s" $dir $key | quote }}
{{- end }}
{{- end }}
{{- range $k, $val := $v.extraEnv }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- range $k, $val := .s.env }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- end -}}

{{/* The secret files of a pod, one projected volume at /run/secrets/xietong:
     (dict "root" $ "secret" NAME "migrate" BOOL) -> volumes. The migration Job gets only its
     owner role's password (and the database CA). */}}
{{- define "xietong.secretVolumes" -}}
{{- $v := .root.Values -}}
- name: secrets
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ .secret }}
{{- if .migrate }}
          items:
            - key: database-password
              path: database-password
{{- end }}
{{- if and $v.jwt.existingSecret (not .migrate) }}
      - secret:
          name: {{ $v.jwt.existingSecret }}
          items:
            - key: jwt-secret
              path: jwt/jwt-secret
{{- end }}
{{- if $v.postgres.caSecret.name }}
      - secret:
          name: {{ $v.postgres.caSecret.name }}
          items:
            - key: {{ $v.postgres.caSecret.key }}
              path: postgres-ca/{{ $v.postgres.caSecret.key }}
{{- end }}
{{- if and $v.kafka.caSecret.name (not .migrate) }}
      - secret:
          name: {{ $v.kafka.caSecret.name }}
          items:
            - key: {{ $v.kafka.caSecret.key }}
              path: kafka-ca/{{ $v.kafka.caSecret.key }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
{{- end -}}

{{- define "xietong.secretMounts" -}}
- name: secrets
  mountPath: {{ include "xietong.secretDir" . }}
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "xietong.pvcName" -}}
{{- if .cfg.existingClaim -}}{{ .cfg.existingClaim }}{{- else -}}{{ include "xietong.fullname" .root }}-{{ .name }}{{- end -}}
{{- end -}}
