variable "min" {
  description = "Lower bound."
  type        = number
}

variable "max" {
  description = "Upper bound."
  type        = number
  validation {
    condition     = var.max >= var.min
    error_message = "max must not be below min."
  }
}

variable "bad_default" {
  description = "Wrong default."
  type        = number
  default     = "many"
}
