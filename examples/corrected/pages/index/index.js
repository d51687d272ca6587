const LOCATION_SCOPE = 'scope.userLocation'

// iOS / devtools: "auth deny"; Android: "auth denied"
const isAuthDeny = (err) => /auth den/.test(err.errMsg)

Page({
  data: {
    location: null,
  },

  onLocate() {
    wx.getSetting({
      success: ({ authSetting }) => {
        // undefined: never asked — wx.getLocation shows the prompt itself
        // true: already allowed
        // false: denied before — the prompt will not come back, only settings can change it
        if (authSetting[LOCATION_SCOPE] === false) {
          this.guideToSettings()
        } else {
          this.fetchLocation()
        }
      },
    })
  },

  guideToSettings() {
    wx.showModal({
      title: '需要位置权限',
      content: '你之前拒绝了位置授权，请在设置中打开“位置信息”',
      confirmText: '去设置',
      cancelText: '暂不',
      success: ({ confirm }) => {
        if (!confirm) {
          wx.showToast({ title: '未开启位置权限，无法推荐附近门店', icon: 'none' })
          return
        }
        // still inside the modal's tap, so openSetting is allowed here
        wx.openSetting({
          success: ({ authSetting }) => {
            if (authSetting[LOCATION_SCOPE]) {
              this.fetchLocation()
            } else {
              wx.showToast({ title: '位置权限仍未开启', icon: 'none' })
            }
          },
        })
      },
    })
  },

  fetchLocation() {
    wx.getLocation({
      type: 'gcj02',
      success: ({ latitude, longitude }) => {
        this.setData({ location: { latitude, longitude } })
      },
      fail: (err) => {
        console.warn('getLocation failed', err)
        wx.showToast({
          title: isAuthDeny(err) ? '你拒绝了位置授权' : '定位失败，请检查手机定位是否开启',
          icon: 'none',
        })
      },
    })
  },
})
