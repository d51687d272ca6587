Page({
  data: {
    location: null,
  },

  onLocate() {
    wx.getSetting({
      success: (res) => {
        if (!res.authSetting['scope.userLocation']) {
          wx.authorize({
            scope: 'scope.userLocation',
            success: () => {
              this.fetchLocation()
            },
            fail: () => {
              wx.showModal({
                title: '提示',
                content: '需要你的位置信息，请到设置中打开',
                confirmText: '去设置',
                success: (modalRes) => {
                  if (modalRes.confirm) {
                    wx.openSetting({
                      success(res) {
                        console.log(res.authSetting)
                      },
                    })
                  } else if (modalRes.cancel) {
                    wx.redirectTo({ url: '/pages/fallback/fallback' })
                  }
                },
              })
            },
          })
        } else {
          this.fetchLocation()
        }
      },
    })
  },

  fetchLocation() {
    wx.getLocation({
      type: 'gcj02',
      success: (res) => {
        this.setData({
          location: {
            latitude: res.latitude,
            longitude: res.longitude,
          },
        })
      },
    })
  },
})
