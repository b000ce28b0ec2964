variable "project" {
  description = "Project."
  type        = string
}

variable "environment" {
  description = "Environment."
  type        = string
}

variable "request_id" {
  description = "Request ID."
  type        = string
}

variable "db_password" {
  description = "The database password itself: lands in git."
  type        = string
  sensitive   = true
}

variable "api_keys" {
  description = "API keys by name, as plain values."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "pin_arn" {
  description = "A number cannot be a reference."
  type        = number
  sensitive   = true
}

variable "token_arn" {
  description = "A reference whose default is a plain secret."
  type        = string
  default     = "s3cr3t-default"
  sensitive   = true
}

variable "db_password_arn" {
  description = "ARN of the Secrets Manager secret holding the database password."
  type        = string
  default     = null
  sensitive   = true
}

variable "secret_arns" {
  description = "Container secrets: environment variable name to Secrets Manager or SSM parameter ARN."
  type        = map(string)
  default     = {}
  sensitive   = true
}
