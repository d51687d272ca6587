Page({
  data: {
    location: null,
    showPrivacy: false,
    contractName: '《隐私保护指引》',
  },

  onLoad() {
    wx.getPrivacySetting({
      success: ({ needAuthorization, privacyContractName }) => {
        console.log('needAuthorization:', needAuthorization)
        this.setData({ contractName: privacyContractName })
      },
    })

    // A privacy API was called before the user agreed: keep its resolve and show our popup
    wx.onNeedPrivacyAuthorization((resolve, eventInfo) => {
      console.log('privacy authorization needed by', eventInfo.referrer)
      this.resolvePrivacy = resolve
      this.setData({ showPrivacy: true })
    })
  },

  onAgree() {
    this.setData({ showPrivacy: false })
    if (this.resolvePrivacy) {
      this.resolvePrivacy({ buttonId: 'agree-btn', event: 'agree' })
      this.resolvePrivacy = null
    }
  },

  onDisagree() {
    this.setData({ showPrivacy: false })
    if (this.resolvePrivacy) {
      this.resolvePrivacy({ event: 'disagree' })
      this.resolvePrivacy = null
    }
  },

  onOpenContract() {
    wx.openPrivacyContract({
      fail: () => {
        wx.showToast({ title: '打开隐私指引失败', icon: 'none' })
      },
    })
  },

  onLocate() {
    wx.getLocation({
      type: 'gcj02',
      success: ({ latitude, longitude }) => {
        this.setData({ location: { latitude, longitude } })
      },
      fail: (err) => {
        console.warn('getLocation failed', err)
        let title = '定位失败，请稍后重试'
        if (err.errno === 104) {
          title = '需同意隐私保护指引后才能使用定位'
        } else if (/auth den/.test(err.errMsg)) {
          title = '你拒绝了位置授权'
        }
        wx.showToast({ title, icon: 'none' })
      },
    })
  },
})
