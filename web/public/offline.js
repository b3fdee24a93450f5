// The offline page's words in Chinese for a Chinese browser, and the brand's name and colour from the
// manifest kept with it (a file of its own: the server's Content-Security-Policy refuses inline scripts).
if ((navigator.language || '').toLowerCase().startsWith('zh')) {
  document.documentElement.lang = 'zh-CN';
  document.title = '已离线';
  document.getElementById('title').textContent = '您已离线';
  document.getElementById('body').textContent =
    '网络连接已断开。您的 eSIM 仍可正常使用；恢复联网后（连接 Wi-Fi，或为旅行号码打开数据漫游）此页面即可重新打开。';
  document.getElementById('retry').textContent = '重试';
}
caches
  .match('/manifest.webmanifest')
  .then((r) => (r ? r.json() : null))
  .then((m) => {
    if (!m) return;
    document.getElementById('brand').textContent = m.name;
    document.documentElement.style.setProperty('--brand', m.theme_color);
  })
  .catch(() => {});
document.getElementById('retry').addEventListener('click', () => location.reload());
