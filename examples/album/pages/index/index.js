const ALBUM_SCOPE = 'scope.writePhotosAlbum'

Page({
  data: {
    poster: 'wxfile://tmp/poster.png',
    saved: false,
    needSetting: false,
  },

  onSave() {
    this.savePoster()
  },

  savePoster() {
    wx.saveImageToPhotosAlbum({ filePath: this.data.poster })
      .then(() => {
        this.setData({ saved: true, needSetting: false })
        wx.showToast({ title: '已保存到相册' })
      })
      .catch((err) => {
        if (/auth den/.test(err.errMsg)) {
          this.setData({ needSetting: true })
          this.askForAlbum()
        } else {
          console.error('saveImageToPhotosAlbum failed', err)
          wx.showToast({ title: '保存失败，请稍后重试', icon: 'none' })
        }
      })
  },

  askForAlbum() {
    wx.showModal({
      title: '无法保存',
      content: '保存海报需要你允许“添加到相册”，是否前往设置开启？',
      confirmText: '去设置',
      cancelText: '取消',
      success: (res) => {
        if (!res.confirm) {
          wx.showToast({ title: '可点击下方按钮开启权限', icon: 'none' })
          return
        }
        // the modal button is a user tap, so openSetting works from here
        wx.openSetting({
          success: ({ authSetting }) => this.afterSetting(authSetting),
        })
      },
    })
  },

  // <button open-type="openSetting" bindopensetting="onSettingBack">
  onSettingBack(e) {
    this.afterSetting(e.detail.authSetting)
  },

  afterSetting(authSetting) {
    if (authSetting[ALBUM_SCOPE]) {
      this.setData({ needSetting: false })
      this.savePoster()
    } else {
      wx.showToast({ title: '未开启相册权限', icon: 'none' })
    }
  },
})
