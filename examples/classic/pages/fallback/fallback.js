const app = getApp()

Page({
  data: {
    cities: ['北京', '上海', '广州', '深圳', '杭州', '成都'],
    city: '',
  },

  onPickCity(e) {
    const { city } = e.currentTarget.dataset
    app.globalData.city = city
    this.setData({ city })
  },
})
