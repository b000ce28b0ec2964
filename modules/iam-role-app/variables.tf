variable "project" {
  description = "Project that owns the resources; filled in by TfPilot."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.project)) && length(var.project) <= 20
    error_message = "project must be 2 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example payments)."
  }
}

variable "environment" {
  description = "Environment the resources belong to (for example dev or prod); filled in by TfPilot."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.environment)) && length(var.environment) <= 12
    error_message = "environment must be 2 to 12 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example dev)."
  }
}

variable "request_id" {
  description = "ID of the TfPilot request that created the resources; filled in by TfPilot and written to the TfPilotRequestId tag."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.request_id))
    error_message = "request_id must be a lowercase UUID such as 0190f5e4-8c2a-7b3d-9e4f-123456789abc."
  }
}

variable "name" {
  description = "Short base name of the role; the role is named <project>-<environment>-<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", var.name)) && length(var.name) <= 40
    error_message = "name must be 2 to 40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen (for example checkout-api)."
  }
}

variable "trusted_service" {
  description = "AWS service allowed to assume the role: ecs-tasks (ECS task role), lambda (Lambda execution role) or ec2 (instance role; an instance profile is created too)."
  type        = string

  validation {
    condition     = contains(["ecs-tasks", "lambda", "ec2"], var.trusted_service)
    error_message = "trusted_service must be one of ecs-tasks, lambda or ec2."
  }
}

variable "managed_policy_arns" {
  description = "ARNs of managed IAM policies to attach, comma-separated (AWS-managed or your own)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.managed_policy_arns) <= 20 && alltrue([for a in var.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "managed_policy_arns must be at most 20 IAM policy ARNs separated by commas, such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess."
  }
}

variable "inline_policy_json" {
  description = "Optional IAM policy document (JSON) embedded in the role, for permissions specific to this application."
  type        = string
  default     = null

  validation {
    condition     = var.inline_policy_json == null || can(jsondecode(var.inline_policy_json))
    error_message = "inline_policy_json must be a JSON IAM policy document, such as {\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::my-bucket/*\"}]}, or left unset."
  }
}

variable "max_session_duration" {
  description = "Longest session, in seconds, that assuming the role may request."
  type        = number
  default     = 3600

  validation {
    condition     = try(var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration, false)
    error_message = "max_session_duration must be a whole number between 3600 (1 hour) and 43200 (12 hours) (seconds)."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a managed policy that caps the role's permissions. Leave unset if your account does not require one."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/app-boundary, or left unset."
  }
}

variable "tags" {
  description = "Extra tags for every resource, as key=value pairs. TfPilot's own tags (ManagedBy, TfPilotRequestId, Project, Environment) always win."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be 1 to 128 characters and not start with aws:, and values at most 256 characters (for example team=payments,cost-center=42)."
  }
}
