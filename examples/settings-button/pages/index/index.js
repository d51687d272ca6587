const CAMERA_SCOPE = 'scope.camera'

const STATUS_TEXT = {
  unknown: '未授权',
  allowed: '已允许',
  denied: '已拒绝，可点击“打开设置”开启',
}

Page({
  data: {
    cameraAllowed: null, // null: never asked, true / false: the user's choice
    showCamera: false,
    statusText: STATUS_TEXT.unknown,
  },

  onShow() {
    wx.getSetting({
      success: ({ authSetting }) => {
        const value = authSetting[CAMERA_SCOPE]
        if (value !== undefined) {
          this.updateStatus(value)
        }
      },
    })
  },

  onShoot() {
    this.openCamera()
  },

  openCamera() {
    wx.authorize({
      scope: CAMERA_SCOPE,
      success: () => {
        this.updateStatus(true)
        this.setData({ showCamera: true })
      },
      fail: (err) => {
        console.warn('authorize scope.camera failed', err)
        this.updateStatus(false)
        wx.showToast({ title: '请点击“打开设置”允许使用摄像头', icon: 'none' })
      },
    })
  },

  // <button open-type="openSetting" bindopensetting="onSettingBack">
  onSettingBack(e) {
    const allowed = Boolean(e.detail.authSetting[CAMERA_SCOPE])
    this.updateStatus(allowed)
    if (allowed) {
      this.openCamera()
    } else {
      wx.showToast({ title: '摄像头权限未开启', icon: 'none' })
    }
  },

  onCameraError(e) {
    console.error('camera error', e.detail)
    this.setData({ showCamera: false })
    wx.showToast({ title: '无法打开摄像头', icon: 'none' })
  },

  updateStatus(allowed) {
    this.setData({
      cameraAllowed: allowed,
      statusText: allowed ? STATUS_TEXT.allowed : STATUS_TEXT.denied,
    })
  },
})
