package local

// sysSyncfs is the syncfs(2) system call number (absent from package syscall).
const sysSyncfs = 306
