variable "region" {
  description = "AWS region the dev environment's resources are created in."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

provider "aws" {
  region = var.region

  # Applied to every resource in this root on top of the tags the modules set.
  default_tags {
    tags = {
      ManagedBy   = "tfpilot"
      Environment = "dev"
    }
  }
}
