not hcl {
