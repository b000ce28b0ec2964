variable "project" {
  description = "Project, set by TfPilot."
  type        = string
  validation {
    condition     = length(var.project) <= 20
    error_message = "project must be at most 20 characters."
  }
}

variable "environment" {
  description = "Environment, set by TfPilot."
  type        = string
}

variable "request_id" {
  description = "Request ID, set by TfPilot."
  type        = string
}

variable "name" {
  description = "Base name of the queue."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", var.name))
    error_message = "name must be lowercase letters, digits and hyphens, like orders."
  }
  validation {
    condition     = length(var.name) <= 40
    error_message = "name must be at most 40 characters (got ${length(var.name)})."
  }
}

variable "fifo" {
  description = "Make a FIFO queue."
  type        = bool
  default     = false
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout in seconds."
  type        = number
  default     = 30
  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200 && floor(var.visibility_timeout_seconds) == var.visibility_timeout_seconds
    error_message = "visibility_timeout_seconds must be a whole number from 0 to 43200."
  }
}

variable "mode" {
  description = "Delivery mode."
  type        = string
  default     = "standard"
  validation {
    condition     = contains(["standard", "priority", "bulk"], var.mode)
    error_message = "mode must be standard, priority or bulk."
  }
}

variable "subnet_ids" {
  description = "Subnets, comma-separated."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.subnet_ids : startswith(s, "subnet-")])
    error_message = "every subnet ID starts with subnet-."
  }
}

variable "ports" {
  description = "Ports."
  type        = set(number)
  default     = []
}

variable "tags" {
  description = "Extra tags as key=value pairs."
  type        = map(string)
  default     = {}
  validation {
    condition     = !anytrue([for k in keys(var.tags) : startswith(lower(k), "aws:")])
    error_message = "tag keys must not start with aws:."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN."
  type        = string
  default     = null
  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "comment" {
  description = "Free text, rendered verbatim."
  type        = string
  default     = ""
}

variable "policy_json" {
  description = "A JSON policy."
  type        = string
  default     = null
  validation {
    condition     = var.policy_json == null || can(jsondecode(var.policy_json))
    error_message = "policy_json must be valid JSON."
  }
}

variable "retry" {
  description = "Retry policy."
  type = object({
    attempts = number
    backoff  = optional(string, "exponential")
  })
  default = null
}

variable "password_arn" {
  description = "ARN of the Secrets Manager secret holding the password."
  type        = string
  default     = null
  sensitive   = true
}
