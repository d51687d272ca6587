// 格式化工具（ES module）

const pad = (n) => String(n).padStart(2, '0')

export function formatDuration(ms) {
  const seconds = Math.round((ms || 0) / 1000)
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`
}

export function formatFileSize(bytes) {
  if (!bytes) return '0 KB'
  return `${(bytes / 1024).toFixed(1)} KB`
}
