// 授权相关的小工具（CommonJS）

// iOS / devtools: "auth deny"; Android: "auth denied"; some iOS: "authorize no response"
const DENY_RE = /auth den|authorize no response/

function isDenied(err) {
  return Boolean(err && DENY_RE.test(err.errMsg || ''))
}

// wx.authorize wrapped in a Promise; rejects with the fail result
function authorize(scope) {
  return new Promise((resolve, reject) => {
    wx.authorize({
      scope,
      success: resolve,
      fail: reject,
    })
  })
}

// Ask once whether to open the settings page. Resolves true when the user came back with the
// scope switched on, false otherwise. openSetting runs in the modal's success callback, which
// still counts as the user's tap.
function guideToSettings(scope, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title: '权限提示',
      content,
      confirmText: '去设置',
      success: (res) => {
        if (!res.confirm) {
          resolve(false)
          return
        }
        wx.openSetting({
          success: ({ authSetting }) => resolve(Boolean(authSetting[scope])),
          fail: () => resolve(false),
        })
      },
      fail: () => resolve(false),
    })
  })
}

module.exports = {
  isDenied,
  authorize,
  guideToSettings,
}
